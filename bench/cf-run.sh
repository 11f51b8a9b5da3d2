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
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
version="${ZASTRO_BENCH_CF_ADAPTER_VERSION:-14.3.3}"
work="${ZASTRO_BENCH_DIR:-$repo/.cache/bench}/cf"
log() { echo "bench-cf: $*" >&2; }

node_bin="$(bash "$repo/scripts/node.sh")"
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
cp "$here/cf-runtime.mjs" "$work/app/"
cd "$work/app"

log "npm install (astro, wrangler, ws, the generated package)"
"$repo/scripts/npm-retry.sh" 600 npm.log install --install-links --no-package-lock --prefer-offline || exit 1

log "astro build"
timeout 600 node node_modules/.bin/astro build >astro-build.log 2>&1 || { tail -n 40 astro-build.log >&2; exit 1; }

log "zastro-websockets-cloudflare $(node -p 'require("./node_modules/zastro-websockets-cloudflare/package.json").version'), astro $(node -p 'require("./node_modules/astro/package.json").version'), wrangler $(node -p 'require("./node_modules/wrangler/package.json").version'), node $(node --version), $(nproc) cores"
node cf-runtime.mjs --app . --plain ../plain "$@"
