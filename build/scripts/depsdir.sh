#!/usr/bin/env sh
# Prints where Quarry keeps its development and test native parts.
# Outside the checkout so that a clean clone reuses them, and readable by
# the unprivileged uid that PostgreSQL runs under when we are root.
if [ -n "$QUARRY_DEPS_DIR" ]; then
	echo "$QUARRY_DEPS_DIR"
elif [ "$(id -u)" -eq 0 ]; then
	echo /var/cache/quarry-deps
else
	echo "${XDG_CACHE_HOME:-$HOME/.cache}/quarry-deps"
fi
