#!/usr/bin/env bash
# Runs one npm command that reaches the registry with the project's retry
# policy (the Go side is internal/npmretry): a timeout per try, three tries,
# 5 s then 10 s between them. Output goes to LOG; after the last failure its
# tail is printed to stderr and the exit status is 1.
#
#   scripts/npm-retry.sh TIMEOUT_SECONDS LOG npm-args...
#   scripts/npm-retry.sh 600 npm.log install --prefer-offline
set -uo pipefail

if (( $# < 3 )); then
  echo "usage: $0 TIMEOUT_SECONDS LOG npm-args..." >&2
  exit 2
fi
limit="$1" log="$2"
shift 2

for attempt in 1 2 3; do
  if timeout "$limit" npm "$@" >"$log" 2>&1; then
    exit 0
  fi
  echo "npm $*: try $attempt/3 failed: $(tail -n 3 "$log" | tr '\n' ' ')" >&2
  if (( attempt < 3 )); then
    sleep $((attempt * 5))
  fi
done
tail -n 30 "$log" >&2
echo "npm $*: failed 3 times" >&2
exit 1
