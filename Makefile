# carecoord: the two commands a new user needs are `make run` and `make test`.
# Everything else here is for the people who build it.

GO        ?= go
MODULES   := pkg services/referrals services/caseload services/beds services/falls services/gateway e2e
PKGS      := $(addsuffix /...,$(addprefix ./,$(MODULES)))
BIN       := bin/carecoord
DATA_DIR  ?= .data
LISTEN    ?= 127.0.0.1:8080
TOOLS     := $(CURDIR)/.tools
STATICCHECK_VERSION := v0.8.2

.PHONY: all build graphiql run test lint fmt vet staticcheck bench bench-store bench-raft bench-ict bench-beds bench-gateway crash-test e2e e2e-browser clean

all: build

build: graphiql
	$(GO) build -o $(BIN) ./services/gateway/cmd/carecoord

## graphiql: the GraphiQL page's browser files, from the npm packages pinned
## in web/graphiql, into services/gateway/internal/graphiql/assets, where
## the build embeds them (does nothing when they are up to date; without
## npm it warns, and the page says how to add them)
graphiql:
	bash scripts/graphiql-assets.sh

## run: start carecoord (all services and the gateway) on the embedded store in
## $(DATA_DIR), loading demo data for the 23 localities on first start
run: build
	@if [ ! -d "$(DATA_DIR)/eventstore" ]; then ./$(BIN) seed --data-dir $(DATA_DIR) --log-level warn; fi
	./$(BIN) serve --data-dir $(DATA_DIR) --listen $(LISTEN) --dev

## test: every module's tests with the race detector, including the store's
## conformance suite, the kill -9 crash test (20 cycles) and the e2e tests
test: graphiql
	$(GO) test -race -count=1 $(PKGS)

## lint: gofmt, go vet and staticcheck over every module
lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck: $(TOOLS)/staticcheck
	$(TOOLS)/staticcheck $(PKGS)

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## bench-store: the event store write benchmark against embedded and PostgreSQL
bench-store:
	bash scripts/bench-store.sh

## bench-raft: the bench-store workload through a 3-node raft cluster on
## loopback against the embedded store in the same run, and the time from
## the leader's crash to the next acknowledged append
bench-raft:
	$(GO) run ./pkg/eventstore/benchstore -raft

## bench-ict: the whole referral-to-caseload lifecycle through the app layer
bench-ict:
	$(GO) run ./services/gateway/cmd/benchict

## bench-beds: 32 bed managers cycling request to clean, then an invariant check
bench-beds:
	$(GO) run ./services/beds/cmd/benchbeds

## bench-gateway: 64 clients asking one locality's joined-up view through
## /graphql, against a plain JSON handler over the same read models
bench-gateway:
	$(GO) run ./services/gateway/cmd/benchgateway

bench: bench-store bench-raft bench-ict bench-beds bench-gateway

## crash-test: the kill -9 test with many more cycles than `make test` runs
CRASH_CYCLES ?= 200
crash-test:
	CARECOORD_CRASH_CYCLES=$(CRASH_CYCLES) $(GO) test -count=1 -run 'survives_kill_9' -v ./pkg/eventstore/embedded/

## e2e: the end-to-end tests alone (real processes, real HTTP)
## (the raft cluster test kills its leader RAFT_CYCLES_E2E times; once in make test)
RAFT_CYCLES_E2E ?= 5
e2e: graphiql
	CARECOORD_RAFT_CYCLES=$(RAFT_CYCLES_E2E) $(GO) test -count=1 -v ./e2e/...

## e2e-raft: only the raft cluster test, with many more leader kills
RAFT_CYCLES ?= 20
.PHONY: e2e-raft
e2e-raft:
	CARECOORD_RAFT_CYCLES=$(RAFT_CYCLES) $(GO) test -count=1 -timeout 60m -run Raft -v ./e2e/

## e2e-browser: the GraphiQL page in headless Chromium (installed from
## Debian's packages if missing): it renders, runs a query with a token
## from its headers editor, and gets a subscription's event over WebSocket
e2e-browser: graphiql
	GO=$(GO) bash scripts/e2e-browser.sh

clean:
	rm -rf bin .bench
