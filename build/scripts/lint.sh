#!/usr/bin/env bash
# gofmt, go vet, staticcheck, and a check that the committed Wails
# bindings match the Go methods they describe.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export GOFLAGS=${GOFLAGS:--tags=desktop,production,webkit2_41}
rc=0
unformatted=$(gofmt -l $(git ls-files -co --exclude-standard '*.go'))
if [[ -n $unformatted ]]; then echo "gofmt needed:"; echo "$unformatted"; rc=1; fi
go vet ./... || rc=1
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./... || rc=1
before=$(git ls-files -co --exclude-standard frontend/wailsjs | sort | xargs cat | sha256sum)
go run github.com/wailsapp/wails/v2/cmd/wails@v2.16.0 generate module -tags webkit2_41 >/dev/null
after=$(git ls-files -co --exclude-standard frontend/wailsjs | sort | xargs cat | sha256sum)
if [[ $before != "$after" ]]; then
	echo "frontend/wailsjs was out of date and has been regenerated: commit it"; rc=1
fi
[[ $rc -eq 0 ]] && echo "lint: clean"
exit $rc
