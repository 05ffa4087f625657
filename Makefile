# keyward: `make run` serves the app at http://127.0.0.1:3000; `make test` runs every suite.
# Every target installs what is missing first (scripts/setup.sh is idempotent and offline
# once everything is there).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
# wasm-opt comes from npm (binaryen 132): Debian's binaryen 108 breaks hydration.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# The server's unit/integration tests share the release profile with `make build`, so CI
# compiles the dependency tree once, not twice.
CARGO_TEST := cargo test --release --locked -p keyward-core -p keyward-backend -p app -p keyward-server -p keyward-cli --features app/ssr

# The site: the server binary, and the page's WASM split into chunks (--split): the code of
# lazy routes and `#[lazy]` dialogs is fetched only where it is used (app/src/routes.rs).
LEPTOS_BUILD := cargo leptos build --release --split

.PHONY: setup build run test test-rust test-api test-e2e lint fmt clean bench fuzz

setup:
	bash scripts/setup.sh

# The server and site (cargo-leptos), then the `kw` client: target/release/kw.
build: setup
	$(LEPTOS_BUILD)
	cargo build --release --locked -p keyward-cli

run: build
	target/release/keyward serve

# One release build serves both the API fuzz and Playwright (test-e2e alone builds too).
test: setup
	$(MAKE) --no-print-directory test-rust
	$(LEPTOS_BUILD)
	$(MAKE) --no-print-directory test-api
	cd end2end && npx playwright test

# The HTTP integration tests run twice: on SQLite, then each on a fresh PostgreSQL database.
test-rust:
	$(CARGO_TEST)
	KEYWARD_TEST_DATABASE=postgres $(CARGO_TEST) --test it

# The OpenAPI document validated and every route fuzzed, on the release binary (make build).
test-api:
	bash scripts/api-fuzz.sh

test-e2e:
	$(LEPTOS_BUILD)
	cd end2end && npx playwright test

# The token parser and the bearer-header parser against ten million generated inputs
# (`make test` runs the same test with one million).
fuzz:
	FUZZ_INPUTS=10000000 cargo test --release --locked -p keyward-backend --test fuzz

# The figures of the README's Performance section: verification throughput on SQLite and
# PostgreSQL with 1,000 and 1,000,000 stored tokens, and the rest (scripts/bench.sh). Needs
# only the server binary (built if needed), wrk (installed if missing) and PostgreSQL.
bench:
	bash scripts/bench.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --release --locked -p keyward-core -p keyward-backend -p app -p keyward-server -p keyward-cli --features app/ssr --all-targets -- -D warnings
	@# kw is rustls only: no OpenSSL anywhere in its dependency tree.
	@# The tree is read first, so a failing cargo tree fails the check instead of passing it.
	@tree=$$(cargo tree --locked -p keyward-cli -e normal --prefix none) && \
		if grep -E '^(openssl-sys|native-tls) ' <<< "$$tree"; then \
		echo "lint: keyward-cli must not depend on OpenSSL"; exit 1; fi
	cargo clippy --profile wasm-release --locked -p frontend -p app --target wasm32-unknown-unknown --features app/hydrate -- -D warnings

fmt:
	cargo fmt --all

clean:
	rm -rf target/site end2end/.tmp
