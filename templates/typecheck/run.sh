#!/usr/bin/env bash
# Type-checks the WebSocket runtime (templates/shared, templates/node) and the
# public types as a user's project sees them, with and without lib.dom;
# tsconfig.connections.json also checks the runtime's unit tests and that the
# hand-written declarations of the package subpaths match the implementation.
# Installs the pinned compiler and types into this folder first.
set -euo pipefail
cd "$(dirname "$0")"

# Reinstall when the lock file changed since the last install (the lock file
# is committed: npm ci).
if [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	../../scripts/npm-retry.sh 300 "$log" ci --no-audit --no-fund --prefer-offline
fi

status=0
for project in tsconfig.json tsconfig.connections.json consumer/tsconfig.json consumer/tsconfig.dom.json; do
	echo "tsc -p $project"
	node_modules/.bin/tsc -p "$project" || status=1
done
exit "$status"
