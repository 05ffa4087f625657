#!/usr/bin/env bash
# Installs everything the build and the tests need, from the package registries only
# (crates.io, npm, PyPI, Debian). Idempotent: each step checks what is there first, so a second
# run takes seconds and needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.11
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly, or the generated
# JS glue and the WASM disagree; read it from the lock file so the two cannot drift.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# A crate's source from the registry, unpacked (cargo info downloads and extracts it).
crate_src() {
    local name=$1 version=$2 dir
    dir=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$name-$version" 2>/dev/null | head -n1 || true)
    if [ -z "$dir" ]; then
        cargo info "$name@$version" >/dev/null 2>&1
        dir=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$name-$version" | head -n1)
    fi
    echo "$dir"
}

# `cargo install --locked` of these two tools fails on rustc 1.95: their lock files pin a
# dependency that is too new (cargo-leptos) or missing from the registry (wasm-bindgen-cli).
# Install from a copy of the source with those dependencies moved (`name@version` after
# `--`), everything else locked.
install_patched() {
    local name=$1 version=$2
    shift 2
    local src work pins=()
    while [ "$1" != -- ]; do pins+=("$1"); shift; done
    shift
    src=$(crate_src "$name" "$version")
    work=$(mktemp -d)
    cp -r "$src" "$work/$name"
    for pin in "${pins[@]}"; do
        (cd "$work/$name" && cargo update -q -p "${pin%@*}" --precise "${pin#*@}")
    done
    # LTO off and many codegen units: this is a build tool, and a cold build on 2 cores
    # is what CI pays for.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo install --path "$work/$name" --locked --force "$@"
    rm -rf "$work"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

# cargo-leptos' WASM splitter (wasm_split_cli_support) at 0.2.4, not the 0.2.3 it locks:
# 0.2.3 puts all the data of the lazy chunks into the main module whenever its re-packed
# data segment comes out a few bytes longer than the input's (issue 16: 442 KB instead of
# 414 KB gzipped, from an unrelated change). The stamp records which splitter is installed.
CARGO_LEPTOS_BUILD="cargo-leptos $CARGO_LEPTOS_VERSION, wasm_split_cli_support 0.2.4"
CARGO_LEPTOS_STAMP=$CARGO_BIN/.cargo-leptos.keyward
if [ "$("$CARGO_BIN/cargo-leptos" --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ] \
    || [ "$(cat "$CARGO_LEPTOS_STAMP" 2>/dev/null)" != "$CARGO_LEPTOS_BUILD" ]; then
    say "installing $CARGO_LEPTOS_BUILD (no_downloads; about 17 minutes cold on 2 cores)"
    install_patched cargo-leptos "$CARGO_LEPTOS_VERSION" \
        cargo-util-schemas@0.14.1 rayon@1.12.0 wasm_split_cli_support@0.2.4 -- \
        --no-default-features --features no_downloads
    echo "$CARGO_LEPTOS_BUILD" > "$CARGO_LEPTOS_STAMP"
fi

if [ "$("$CARGO_BIN/wasm-bindgen" --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    install_patched wasm-bindgen-cli "$WASM_BINDGEN_VERSION" webpki-roots@1.0.10 -- \
        --bin wasm-bindgen
fi

# Chromium for Playwright (Playwright's own browser download is not reachable): CHROMIUM_PATH,
# or any `chromium` on PATH (end2end/playwright.config.ts launches that same one); else Debian's.
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
    say "installing Debian's chromium"
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# npm tools, pinned by end2end/package-lock.json: Playwright (without its browser), sass and
# binaryen's wasm-opt. Debian's binaryen 108 produces WASM that fails in the browser.
if ! (cd end2end && npm ls --depth=0 >/dev/null 2>&1) || [ ! -x end2end/node_modules/.bin/wasm-opt ]; then
    say "installing the npm tools in end2end/"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

# PyPI tools for `make test-api` (scripts/api-fuzz.sh): openapi-spec-validator and schemathesis,
# pinned in scripts/api-fuzz-requirements.txt, in a venv under .tools/ (git-ignored). The venv
# keeps the hash of the requirements file it was built from, so an unchanged file skips pip
# (no network) and a changed pin reinstalls.
API_VENV=.tools/venv
API_REQS=scripts/api-fuzz-requirements.txt
# The tools must also still run (a Python upgrade can leave a venv without its interpreter).
if ! "$API_VENV/bin/python" -c 'import schemathesis, openapi_spec_validator' 2>/dev/null ||
    [ "$(cat "$API_VENV/requirements.sha256" 2>/dev/null)" != "$(sha256sum <"$API_REQS")" ]; then
    say "installing the API test tools from $API_REQS into $API_VENV"
    if ! python3 -m venv --help >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    fi
    rm -rf "$API_VENV"
    python3 -m venv "$API_VENV"
    "$API_VENV/bin/pip" install -q --disable-pip-version-check -r "$API_REQS"
    sha256sum <"$API_REQS" >"$API_VENV/requirements.sha256"
fi

# PostgreSQL is used by the scale-out tests; start the local cluster if it is installed but down.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

say "ready"
