# worldval — developer targets. `make help` lists them.
GO        ?= go
BIN       ?= bin/worldval
PKGS      ?= ./...
STATICCHECK_VERSION ?= v0.8.2

.PHONY: help build run test test-short lint bench fuzz clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## Build the worldval binary into bin/.
	$(GO) build -o $(BIN) ./cmd/worldval

run: ## Run the service on its embedded default (sqlite in ./data, HTTP on 127.0.0.1:8080).
	$(GO) run ./cmd/worldval serve

test: ## Run the whole test suite (starts what it needs), with the race detector.
	./scripts/test.sh

test-short: ## Unit tests only, no race detector: the fast inner loop.
	$(GO) test -short $(PKGS)

lint: ## gofmt, go vet and staticcheck.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: unformatted files:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

bench: ## Run every Go benchmark once (see BENCHMARKS.md for recorded figures).
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1s $(PKGS)

fuzz: ## Fuzz every decoder for FUZZTIME each (default 20s).
	./scripts/fuzz.sh $${FUZZTIME:-20s}

clean: ## Remove build output.
	rm -rf bin
