#!/usr/bin/env bash
# Prints the absolute path of redis-server, installing the Debian package
# redis-server first when it is absent (apt-get, bounded retries; sudo only
# when not root). The connection manager's cluster e2e (e2e/cluster_test.go)
# calls it and starts its own redis-server on a free loopback port; nothing
# here starts a server or enables a service.
set -euo pipefail

log() { echo "redis.sh: $*" >&2; }

find_server() {
  local p
  for p in "$(command -v redis-server 2>/dev/null || true)" /usr/bin/redis-server /usr/sbin/redis-server /usr/local/bin/redis-server; do
    if [ -n "$p" ] && [ -x "$p" ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

if path="$(find_server)"; then
  echo "$path"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "redis-server is not installed and apt-get is not available: install Redis (redis-server) yourself."
  exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    log "redis-server is not installed, and installing it needs root (no sudo here)."
    exit 1
  fi
  sudo=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  log "installing redis-server with apt-get (attempt $attempt)"
  if timeout 300 "${sudo[@]}" apt-get update -q >&2 &&
    timeout 300 "${sudo[@]}" apt-get install -y -q --no-install-recommends redis-server >&2; then
    break
  fi
  if [ "$attempt" = 3 ]; then
    log "apt-get install redis-server failed 3 times"
    exit 1
  fi
  sleep $((attempt * 5))
done

if path="$(find_server)"; then
  echo "$path"
  exit 0
fi
log "apt-get installed redis-server but no redis-server binary was found"
exit 1
