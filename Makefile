# Maintainers' habits. `make test` is the one command that runs every test (CI runs it).
GO       ?= go
ADAPTERS ?=
FROM     ?=
BUILD_FLAGS ?= $(if $(FROM),--from $(FROM))
# UPDATE=1: the e2e targets write e2e/results/*.json (the README tables' source)
UPDATE   ?=
E2E_FLAGS = $(if $(UPDATE),-update)

# EMBEDDED: every file a go:embed directive of the module embeds (the
# runtime's .ts and .d.ts sources in templates/), as go list reports them, so
# that bin/zastro is rebuilt when one changes.
EMBEDDED := $(shell $(GO) list -f '{{$$d := .Dir}}{{range .EmbedFiles}}{{$$d}}/{{.}} {{end}}' ./... 2>/dev/null)

.PHONY: all build zastro test tidy-check clean-check test-unit test-node test-cloudflare bench bench-runtime sweep verify reset pack clean

all: build

bin/zastro: $(shell find . -name '*.go' -not -path './astro-upstream/*') $(EMBEDDED) go.mod go.sum
	$(GO) build -o bin/zastro ./cmd/zastro

zastro: bin/zastro

## build: generate packages/<adapter> (from the submodule when initialised, else npm at the newest supported version)
build: bin/zastro
	./bin/zastro build $(ADAPTERS) $(BUILD_FLAGS)

## pack: npm tarballs of the built packages
pack: bin/zastro
	./bin/zastro pack

## test: every test: go.mod tidy, vet, unit tests, contract checks and the end-to-end suites
## (results go outside the tree; `go test ./e2e/ -run ... -update` writes e2e/results)
test: tidy-check
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 80m ./...

## tidy-check: fails when go.mod or go.sum is not what `go mod tidy` writes
tidy-check:
	$(GO) mod tidy -diff

## clean-check: fails when the checkout has changes or untracked files (CI runs it after make test)
clean-check:
	@dirty="$$(git status --porcelain)"; if [ -n "$$dirty" ]; then echo "the tree is not clean:"; echo "$$dirty"; exit 1; fi

## test-unit: everything but the end-to-end suites (fast developer loop)
test-unit:
	$(GO) test -short -count=1 ./...

## test-node: the Node adapter's end-to-end suite (UPDATE=1 writes e2e/results/node.json)
test-node:
	$(GO) test -count=1 -timeout 60m -run 'TestNode' -v ./e2e/ $(E2E_FLAGS)

## test-cloudflare: the Cloudflare adapter's end-to-end suite (UPDATE=1 writes e2e/results/cloudflare.json)
test-cloudflare:
	$(GO) test -count=1 -timeout 60m -run 'TestCloudflare' -v ./e2e/ $(E2E_FLAGS)

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
	$(GO) test -run '^$$' -bench . -benchmem ./assemble/ ./transform/ ./cmd/zastro/

## reset: move the submodule back to the recorded commit and drop generated output
reset: bin/zastro
	-./bin/zastro upstream reset
	rm -rf packages bin
