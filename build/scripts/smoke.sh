#!/usr/bin/env bash
# Desktop smoke test: the real binary opens its real window under Xvfb,
# the page calls real bindings through the Wails bridge, and a screenshot
# of the window is written to $1. Exits 0 only if all of that worked.
set -euo pipefail
shot=${1:-smoke.png}
bin=${QUARRY_BIN:?QUARRY_BIN must name the app binary}
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

if [[ -z ${DISPLAY:-} ]]; then
	exec xvfb-run -a -s "-screen 0 1280x860x24" "$0" "$@"
fi

"$bin" --smoke-test --data-dir "$work/data" >"$work/out" 2>"$work/err" &
pid=$!
status=timeout
for _ in $(seq 1 240); do
	if grep -q '^smoke: ok' "$work/out"; then status=ok; break; fi
	if grep -q '^smoke: ' "$work/out" || ! kill -0 "$pid" 2>/dev/null; then status=failed; break; fi
	sleep 0.5
done
if [[ $status == ok ]]; then
	sleep 2 # the page reloads to show the new collection
	import -window root "$shot"
	echo "smoke: screenshot at $shot"
fi
rc=0
wait "$pid" || rc=$?
if [[ $status != ok || $rc -ne 0 ]]; then
	echo "smoke test $status (exit $rc); app output:" >&2
	cat "$work/out" >&2
	tail -n 40 "$work/err" >&2
	exit 1
fi
echo "smoke: passed"
