# Maintainers' habits. `make test` is the one command that runs every test (CI runs it).
GO       ?= go
ADAPTERS ?=
FROM     ?=
BUILD_FLAGS ?= $(if $(FROM),--from $(FROM))

.PHONY: all build zastro test test-unit test-node test-cloudflare bench bench-runtime sweep verify reset pack clean

all: build

bin/zastro: $(shell find . -name '*.go' -not -path './astro-upstream/*') go.mod go.sum
	$(GO) build -o bin/zastro ./cmd/zastro

zastro: bin/zastro

## build: generate packages/<adapter> (from the submodule when initialised, else npm at the newest supported version)
build: bin/zastro
	./bin/zastro build $(ADAPTERS) $(BUILD_FLAGS)

## pack: npm tarballs of the built packages
pack: bin/zastro
	./bin/zastro pack

## test: every test: vet, unit tests, contract checks and the end-to-end suites
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 80m ./...

## test-unit: everything but the end-to-end suites (fast developer loop)
test-unit:
	$(GO) test -short -count=1 ./...

## test-node: the Node adapter's end-to-end suite
test-node:
	$(GO) test -count=1 -timeout 60m -run 'TestNode' -v ./e2e/

## test-cloudflare: the Cloudflare adapter's end-to-end suite
test-cloudflare:
	$(GO) test -count=1 -timeout 60m -run 'TestCloudflare' -v ./e2e/

## verify: contract check of the built packages
verify: bin/zastro
	./bin/zastro verify $(ADAPTERS)

## sweep: every published version of each adapter, transformed, built and verified (updates sweep/results/)
sweep: bin/zastro
	./bin/zastro sweep node
	./bin/zastro sweep cloudflare

## bench-runtime: the generated adapters against the plain platform primitive (ws; a WebSocketPair Worker under wrangler dev); the last line has the Node ratios
bench-runtime:
	bash bench/cf-run.sh; cf=$$?; bash bench/run.sh && exit $$cf

## bench: build benchmarks beside esbuild alone on the same files (figures, never assertions)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./build/ ./transform/ ./cmd/zastro/

## reset: move the submodule back to the recorded commit and drop generated output
reset: bin/zastro
	-./bin/zastro upstream reset
	rm -rf packages bin
