# Opine: `make demo` runs the daemon on a development spool with sample bundles; `make test` runs every test.
SWIFT ?= swift

.PHONY: deps build test demo clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

# Builds the daemon and CLI first: the end-to-end tests run the real binaries.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: build
	scripts/demo.sh

clean:
	rm -rf .build var
