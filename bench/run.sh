#!/usr/bin/env bash
# Runtime benchmark of the generated Node adapter against plain `ws` (see
# runtime.mjs for what is measured). Builds zastro-websockets-node from the
# npm tarball of @astrojs/node, installs and builds the echo app in bench/app
# with it, then runs both servers and the driver on this machine (loopback).
# First the runtime alone on a bare node:http server (runtime-bare.mjs: the
# upgrade plumbing and the socket without Astro's route pipeline) against ws,
# then the Astro app against ws; the last line has the app's ratios.
#
#   bench/run.sh                 # prints a Markdown table with the ratios
#   bench/run.sh --json          # the figures and every sample as JSON
#   bench/run.sh --rounds 5 --seconds 5 --idle 2000
#   bench/run.sh --instructions  # instructions per round trip and per handshake
#                                # under valgrind's callgrind (instructions.mjs),
#                                # not moved by the load of a shared machine
#
# Env:
#   ZASTRO_BENCH_ADAPTER_VERSION  @astrojs/node version to build from (default 11.1.6)
#   ZASTRO_BENCH_DIR              work folder (default <repo>/.cache/bench)
#   ZASTRO_BENCH_NODE_VERSION     Node version of the servers and the driver (default 24.22.3;
#                                 22.23.3 is the one the end-to-end suites use)
#   ZASTRO_BENCH_WS_READS_TEXT=1  the ws baseline decodes every text message to a string
#                                 (what an app that reads its messages does, and what a
#                                 zastro route's event.data is) before echoing it
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
version="${ZASTRO_BENCH_ADAPTER_VERSION:-11.1.6}"
work="${ZASTRO_BENCH_DIR:-$repo/.cache/bench}"
log() { echo "bench: $*" >&2; }
driver=runtime.mjs
if [ "${1:-}" = "--instructions" ]; then
  shift
  driver=instructions.mjs
  valgrind="$(bash "$repo/scripts/debian-tool.sh" valgrind valgrind)"
  bash "$repo/scripts/debian-tool.sh" callgrind_control valgrind >/dev/null
  set -- --valgrind "$valgrind" "$@"
fi

# The Node the servers run on: 24 by default, the line users deploy on now
# (fetched from npm by scripts/node.sh like the end-to-end suites' 22).
node_bin="$(ZASTRO_NODE_VERSION="${ZASTRO_BENCH_NODE_VERSION:-24.22.3}" ZASTRO_NODE_FORCE=1 bash "$repo/scripts/node.sh")"
export PATH="$(dirname "$node_bin"):$PATH"
export ASTRO_TELEMETRY_DISABLED=1 ASTRO_DISABLE_UPDATE_CHECK=true NO_COLOR=1
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

mkdir -p "$work"
log "building zastro and zastro-websockets-node from @astrojs/node@$version"
(cd "$repo" && go build -o "$work/zastro" ./cmd/zastro)
"$work/zastro" build node --from npm --version "$version" --out "$work/pkg" >&2

rm -rf "$work/app/src" "$work/app/dist"
mkdir -p "$work/app"
cp -R "$here/app/." "$work/app/"
cp "$here/runtime.mjs" "$here/instructions.mjs" "$here/ws-client.mjs" "$here/ws-echo.mjs" "$here/runtime-bare.mjs" "$here/gc-hook.mjs" "$work/app/"
cd "$work/app"

log "npm install (astro, ws, the generated package)"
# --install-links copies the file: dependency in as a real folder, as from
# a tarball, so that its peer astro resolves from the app.
# Every build of one upstream version has the same package version, and npm
# keeps an installed folder whose version it already has: the old build goes
# first, and the installed files must be the ones just built.
rm -rf node_modules/zastro-websockets-node
"$repo/scripts/npm-retry.sh" 600 npm.log install --install-links --no-package-lock --prefer-offline || exit 1
diff -rq "$work/pkg/node/dist" node_modules/zastro-websockets-node/dist >&2 || { log "node_modules/zastro-websockets-node is not the package just built"; exit 1; }

log "astro build"
node node_modules/.bin/astro build >astro-build.log 2>&1 || { tail -n 40 astro-build.log >&2; exit 1; }

pkg_version="$(node -p 'require("./node_modules/zastro-websockets-node/package.json").version')"
ws_version="$(node -p 'require("./node_modules/ws/package.json").version')"
astro_version="$(node -p 'require("./node_modules/astro/package.json").version')"
log "zastro-websockets-node $pkg_version, astro $astro_version, ws $ws_version, node $(node --version), $(nproc) cores"
log "the runtime without Astro (bare node:http handler) against ws"
node "$driver" --zastro-entry runtime-bare.mjs --label zastro-runtime-bare --ws-server ws-echo.mjs --summary no "$@"
log "the Astro app against ws"
node "$driver" --zastro-entry dist/server/entry.mjs --ws-server ws-echo.mjs "$@"
