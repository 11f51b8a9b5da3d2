#!/usr/bin/env bash
# Prints the absolute path of redis-server, installing the Debian package
# redis-server first when it is absent (scripts/debian-tool.sh). The
# connection manager's cluster e2e (e2e/cluster_test.go) calls it and starts
# its own redis-server on a free loopback port; nothing here starts a server
# or enables a service.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/debian-tool.sh" redis-server redis-server
