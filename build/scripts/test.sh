#!/usr/bin/env bash
# Runs Quarry's test suites and ends with one summary line:
#   tests: N passed, N failed
#
#   build/scripts/test.sh all|go|lint|frontend|smoke|e2e
#
# Real parts only: PostgreSQL, ONNX Runtime and Chromium are the real
# programs. Under CI=true every missing part is a failure, not a skip.
set -uo pipefail

what=${1:-all}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
out="$root/build/test-results"
mkdir -p "$out"
if [[ ${CI:-} == true ]]; then
	export QUARRY_REQUIRE_ALL=1
fi

passed=0
failed=0
failures=()

stage() { printf '\n==> %s\n' "$*"; }
record() { # name passed failed rc
	passed=$((passed + $2))
	failed=$((failed + $3))
	if [[ $4 -ne 0 || $3 -ne 0 ]]; then
		failures+=("$1")
		# A suite that crashed before counting still counts as a failure.
		[[ $3 -eq 0 ]] && failed=$((failed + 1))
	fi
}

run_go() {
	stage "gofmt and go vet"
	local unformatted
	unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './frontend/*'))
	if [[ -n $unformatted ]]; then
		echo "not gofmt-ed:"; echo "$unformatted"
		record gofmt 0 1 1
	else
		record gofmt 1 0 0
	fi
	if go vet ./...; then record vet 1 0 0; else record vet 0 1 1; fi

	stage "go test"
	go test -count=1 -timeout 20m -v ./... >"$out/go-test.log" 2>&1
	local rc=$?
	grep -E '^(ok|FAIL|panic:)|^\s*--- FAIL' "$out/go-test.log"
	# For each failure, the lines the test logged just before it.
	grep -B25 -E '^\s*--- FAIL' "$out/go-test.log" | grep -vE 'level=(INFO|DEBUG)' | tail -n 150
	local p f s
	p=$(grep -cE '^\s*--- PASS' "$out/go-test.log")
	f=$(grep -cE '^\s*--- FAIL' "$out/go-test.log")
	s=$(grep -cE '^\s*--- SKIP' "$out/go-test.log")
	echo "go test: $p passed, $f failed, $s skipped (log: $out/go-test.log)"
	if [[ $rc -ne 0 && $f -eq 0 ]]; then tail -n 60 "$out/go-test.log"; fi
	record "go test" "$p" "$f" "$rc"
}

run_lint() {
	stage "lint: staticcheck and generated bindings up to date"
	if "$root/build/scripts/lint.sh"; then record lint 1 0 0; else record lint 0 1 1; fi
}

run_frontend() {
	stage "frontend unit tests (vitest)"
	(cd frontend && npx vitest run --reporter=default) 2>&1 | tee "$out/vitest.log"
	local rc=${PIPESTATUS[0]} p f
	p=$(sed -E 's/\x1b\[[0-9;]*m//g' "$out/vitest.log" | grep -E '^\s*Tests\s' | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
	f=$(sed -E 's/\x1b\[[0-9;]*m//g' "$out/vitest.log" | grep -E '^\s*Tests\s' | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
	record vitest "${p:-0}" "${f:-0}" "$rc"
}

build_binary() {
	[[ -n ${QUARRY_BIN:-} ]] && return 0
	stage "build the app"
	if make --no-print-directory build >"$out/build.log" 2>&1; then
		export QUARRY_BIN="$root/build/bin/quarry"
	else
		tail -n 40 "$out/build.log"
		record build 0 1 1
		return 1
	fi
}

run_smoke() {
	build_binary || return
	stage "desktop smoke test (Xvfb)"
	if "$root/build/scripts/smoke.sh" "$out/smoke.png"; then
		record smoke 1 0 0
	else
		record smoke 0 1 1
	fi
}

run_e2e() {
	build_binary || return
	stage "browser end-to-end tests (Chromium)"
	export QUARRY_E2E_OUT="$out"
	(cd frontend && node --test --test-reporter=spec e2e/) 2>&1 | tee "$out/e2e.log"
	local rc=${PIPESTATUS[0]} p f
	p=$(grep -E '^(ℹ|#) pass ' "$out/e2e.log" | grep -oE '[0-9]+' | tail -1)
	f=$(grep -E '^(ℹ|#) fail ' "$out/e2e.log" | grep -oE '[0-9]+' | tail -1)
	record e2e "${p:-0}" "${f:-0}" "$rc"
}

case $what in
all) run_go; run_lint; run_frontend; run_smoke; run_e2e ;;
lint) run_lint ;;
go) run_go ;;
frontend) run_frontend ;;
smoke) run_smoke ;;
e2e) run_e2e ;;
*) echo "usage: $0 all|go|lint|frontend|smoke|e2e" >&2; exit 2 ;;
esac

echo
if ((${#failures[@]})); then
	echo "failed suites: ${failures[*]}"
fi
echo "tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
