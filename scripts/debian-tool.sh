#!/usr/bin/env bash
# Prints the absolute path of the program PROGRAM, installing the Debian
# package PACKAGE first when it is absent (apt-get, bounded retries; sudo
# only when not root). Nothing is started or enabled.
#
#   scripts/debian-tool.sh redis-server redis-server
#   scripts/debian-tool.sh valgrind valgrind
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: debian-tool.sh PROGRAM PACKAGE" >&2
  exit 2
fi
program="$1"
package="$2"
log() { echo "debian-tool.sh: $*" >&2; }

find_program() {
  local p
  for p in "$(command -v "$program" 2>/dev/null || true)" "/usr/bin/$program" "/usr/sbin/$program" "/usr/local/bin/$program"; do
    if [ -n "$p" ] && [ -x "$p" ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

if path="$(find_program)"; then
  echo "$path"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "$program is not installed and apt-get is not available: install $package yourself."
  exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    log "$program is not installed, and installing $package needs root (no sudo here)."
    exit 1
  fi
  sudo=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  log "installing $package with apt-get (attempt $attempt)"
  if timeout 300 "${sudo[@]}" apt-get update -q >&2 &&
    timeout 300 "${sudo[@]}" apt-get install -y -q --no-install-recommends "$package" >&2; then
    break
  fi
  if [ "$attempt" = 3 ]; then
    log "apt-get install $package failed 3 times"
    exit 1
  fi
  sleep $((attempt * 5))
done

if path="$(find_program)"; then
  echo "$path"
  exit 0
fi
log "apt-get installed $package but no $program was found"
exit 1
