# django_health_exporter. `make run` starts the exporter on its embedded
# default config; `make test` runs the whole suite (CI runs it through
# .ci/run); `make bench` prints the performance figures of the README.

GO         ?= go
BIN        := django_health_exporter
VERSION    := $(shell cat VERSION)
REVISION   := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH     := $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
BUILD_USER ?= $(shell whoami)@$(shell hostname)
BUILD_DATE := $(shell date -u +%Y%m%d-%H:%M:%S)
VERSION_PKG := github.com/prometheus/common/version
# The same version ldflags as .promu.yml: promu is not installable here.
LDFLAGS := -X $(VERSION_PKG).Version=$(VERSION) \
           -X $(VERSION_PKG).Revision=$(REVISION) \
           -X $(VERSION_PKG).Branch=$(BRANCH) \
           -X $(VERSION_PKG).BuildUser=$(BUILD_USER) \
           -X $(VERSION_PKG).BuildDate=$(BUILD_DATE)

GOLANGCI_LINT_VERSION ?= v2.15.0
TOOLS_BIN := $(CURDIR)/.build/bin
GOLANGCI_LINT := $(TOOLS_BIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)

.PHONY: all build run test deps fmt-check vet unit lint python-test bench soak reliability screenshots mixin clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -tags netgo -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build
	./$(BIN) $(ARGS)

# The whole suite: formatting, vet, every Go test (the end-to-end tests
# against real Django, Prometheus, Redis and Celery included), lint, and
# the Python package's mypy and pytest matrix.
test: deps fmt-check vet unit lint python-test

# Debian's packages the tests run (installed), the newer Django,
# django-health-check and Prometheus of the version matrix (unpacked into
# .build/debian, never installed), and the Python package installed
# offline into .build/venv (and .build/venv312).
deps:
	./.ci/deps
	./.ci/debian-newer
	./.ci/python-venv

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

# The Python package (python/): mypy, then pytest on every Django and
# Celery of the matrix, against the binary built here.
python-test: build
	./.ci/python-tests

$(GOLANGCI_LINT):
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(TOOLS_BIN)/golangci-lint $(GOLANGCI_LINT)

lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run ./...

bench: deps build
	./bench/run.sh

# A bounded soak on loopback (3 minutes; SOAK_DURATION=10m for longer):
# RSS, goroutines and open files at the start and the end.
SOAK_DURATION ?= 3m
soak: build
	$(GO) run ./bench/soak -exporter ./$(BIN) -duration $(SOAK_DURATION)

# docs/RELIABILITY.md, from the tests that try faults and hostile input.
reliability: deps
	@rm -f .build/reliability.jsonl; mkdir -p .build
	RELIABILITY_OUT=$(CURDIR)/.build/reliability.jsonl $(GO) test -count=1 -timeout 30m ./...
	$(GO) run ./internal/reliability/report .build/reliability.jsonl > docs/RELIABILITY.md

# The pictures of the status page in the README, taken by the test that
# renders it in headless Chromium.
screenshots: deps
	SCREENSHOTS=$(CURDIR)/docs/images $(GO) test -count=1 -run TestStatusPageInChromium ./e2e/

# Regenerate the mixin's alerts, rules and dashboards (the tests fail when
# the committed files differ from what the jsonnet makes).
mixin:
	find mixin \( -name '*.libsonnet' -o -name '*.jsonnet' \) -exec $(GO) tool jsonnetfmt -i {} \;
	./mixin/build.sh

clean:
	rm -rf $(BIN) .build bench/out
