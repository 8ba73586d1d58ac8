#!/usr/bin/env bash
# Quarry's benchmarks. Each prints medians and ratios; none asserts a time.
#
#   build/scripts/bench.sh [startup|embedder|vectors|search|indexing|reindex|watch|lan|all]
#
# Compare figures from one run on a quiet machine: a busy machine slows
# everything 2-5x.
set -euo pipefail
what=${1:-all}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

section() { printf '\n=== %s\n' "$*"; }

startup() {
	section "app start-up (cold = new data directory, warm = existing), idle memory"
	[[ -x build/bin/quarry ]] || make --no-print-directory build >/dev/null
	go run ./cmd/startbench -bin build/bin/quarry -n 5
}

embedder() {
	section "embedder: synthetic MiniLM-L6 int8 (real cost), vs a bare ONNX Runtime session"
	go run ./backend/embedder/cmd/embedbench
}

vectors() {
	section "vector index: search latency with filters at 10k/100k 384-d points (built-in engine over gRPC)"
	go test ./backend/qdrant -run '^$' -bench Search -benchtime 200x
	section "vector index: upsert throughput and rebuild of 100k chunks"
	go test ./backend/qdrant -run '^$' -bench Upsert -benchtime 3x
	section "vector index: rebuild from PostgreSQL (stored embeddings, no re-embedding)"
	go test ./backend/vecindex -run '^$' -bench RebuildFromPostgres -benchtime 1x -timeout 30m
}

indexing() {
	section "indexing NFCorpus (one file per document) with the MiniLM-L6 int8 model: pipeline vs bare embedder"
	go test ./backend/indexer -run '^$' -bench IndexNFCorpus -benchtime 1x -timeout 60m
	section "a new tree of 10,000 small text files: time until keyword-searchable (text only, and with GloVe)"
	go test ./backend/indexer -run '^$' -bench KeywordSearchable10k -benchtime 1x -timeout 60m -v | grep -E 'keyword-searchable|^Benchmark|ok|FAIL'
}

reindex() {
	section "reindexing NFCorpus: precision only vs a model change, and a bystander collection's search latency meanwhile"
	go test ./backend/indexer -run '^$' -bench ReindexNFCorpus -benchtime 1x -timeout 60m
}

search() {
	section "search latency over 100k chunks including query embedding (hybrid, with and without filters)"
	go test ./backend/search -run '^$' -bench BenchmarkSearch100k -benchtime=400x -timeout 30m
	section "reranking: cross-encoder (MiniLM-L6 int8 cost) scoring the shown passages of the best documents"
	go test ./backend/search -run '^$' -bench BenchmarkRerank -benchtime=20x -timeout 30m
	section "search over every collection through the HTTP API while one collection's model is missing"
	go test ./backend/indexer -run '^$' -bench SearchOneModelMissing -benchtime 1x -timeout 30m -v | grep -E 'model missing|^Benchmark|ok|FAIL'
}

watch() {
	section "watched folders: save → searchable, delete → gone, 1,000 files dropped in, a 500-file folder renamed, idle CPU"
	go test ./backend/quarry -run '^$' -bench BenchmarkWatch -benchtime 1x -timeout 30m -v | grep -E 'bench_test.go|^Benchmark|ok|FAIL'
}

lan() {
	section "LAN sharing over TLS: sign-in and search latency (p50/p99), HTTP/2 and HTTP/1.1, kept-alive connections"
	go test ./backend/httpapi -run '^$' -bench BenchmarkLAN -benchtime 200x -timeout 30m
}

case $what in
startup) startup ;;
search) search ;;
indexing) indexing ;;
reindex) reindex ;;
watch) watch ;;
lan) lan ;;
embedder) embedder ;;
vectors) vectors ;;
all) startup; embedder; vectors; search; indexing; reindex; watch; lan ;;
*) echo "usage: $0 [startup|embedder|vectors|search|indexing|reindex|watch|lan|all]" >&2; exit 2 ;;
esac
