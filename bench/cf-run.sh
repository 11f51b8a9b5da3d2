#!/usr/bin/env bash
# Runtime benchmark of the generated Cloudflare adapter on workerd (see
# cf-runtime.mjs): builds zastro-websockets-cloudflare from the npm tarball of
# @astrojs/cloudflare, installs and builds the echo app in bench/cf/app with
# it, then serves it and the plain WebSocketPair Worker (bench/cf/plain) with
# `wrangler dev` on loopback and drives both.
#
#   bench/cf-run.sh                 # Markdown table, then cf_throughput_ratio=..
#   bench/cf-run.sh --rounds 5 --seconds 5
#
# Env:
#   ZASTRO_BENCH_CF_ADAPTER_VERSION  @astrojs/cloudflare version (default 14.3.3)
#   ZASTRO_BENCH_DIR                 work folder (default <repo>/.cache/bench)
#   ZASTRO_BENCH_NODE_VERSION        Node version (default 24.22.3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
version="${ZASTRO_BENCH_CF_ADAPTER_VERSION:-14.3.3}"
work="${ZASTRO_BENCH_DIR:-$repo/.cache/bench}/cf"
log() { echo "bench-cf: $*" >&2; }

# The Node the servers run on: 24 by default, the line users deploy on now
# (fetched from npm by scripts/node.sh like the end-to-end suites' 22).
node_bin="$(ZASTRO_NODE_VERSION="${ZASTRO_BENCH_NODE_VERSION:-24.22.3}" ZASTRO_NODE_FORCE=1 bash "$repo/scripts/node.sh")"
export PATH="$(dirname "$node_bin"):$PATH"
export ASTRO_TELEMETRY_DISABLED=1 ASTRO_DISABLE_UPDATE_CHECK=true NO_COLOR=1
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export DO_NOT_TRACK=1 WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false
export XDG_CONFIG_HOME="$work/config" WRANGLER_LOG_PATH="$work/wrangler-logs"

mkdir -p "$work"
log "building zastro and zastro-websockets-cloudflare from @astrojs/cloudflare@$version"
(cd "$repo" && go build -o "$work/zastro" ./cmd/zastro)
"$work/zastro" build cloudflare --from npm --version "$version" --out "$work/pkg" >&2

rm -rf "$work/app/src" "$work/app/dist" "$work/plain"
mkdir -p "$work/app"
cp -R "$here/cf/app/." "$work/app/"
cp -R "$here/cf/plain" "$work/plain"
cp "$here/cf-runtime.mjs" "$here/ws-client.mjs" "$work/app/"
cd "$work/app"

log "npm install (astro, wrangler, ws, the generated package)"
# Every build of one upstream version has the same package version, and npm
# keeps an installed folder whose version it already has: the old build goes
# first, and the installed files must be the ones just built.
rm -rf node_modules/zastro-websockets-cloudflare
"$repo/scripts/npm-retry.sh" 600 npm.log install --install-links --no-package-lock --prefer-offline || exit 1
diff -rq "$work/pkg/cloudflare/dist" node_modules/zastro-websockets-cloudflare/dist >&2 || { log "node_modules/zastro-websockets-cloudflare is not the package just built"; exit 1; }

log "astro build"
timeout 600 node node_modules/.bin/astro build >astro-build.log 2>&1 || { tail -n 40 astro-build.log >&2; exit 1; }

log "zastro-websockets-cloudflare $(node -p 'require("./node_modules/zastro-websockets-cloudflare/package.json").version'), astro $(node -p 'require("./node_modules/astro/package.json").version'), wrangler $(node -p 'require("./node_modules/wrangler/package.json").version'), node $(node --version), $(nproc) cores"
node cf-runtime.mjs --app . --plain ../plain "$@"
