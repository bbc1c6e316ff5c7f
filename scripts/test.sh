#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: formatting, vet, and every
# Go test with the race detector. Servers that integration tests need are
# installed and started here (none yet for the embedded profile).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files are not formatted:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "==> go vet"
go vet ./...

echo "==> go test -race"
go test -race -count=1 -timeout 15m ./... "$@"
