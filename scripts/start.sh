#!/usr/bin/env bash
# Installs the npm packages when needed and runs API and engine in one
# process on the embedded command log and the embedded dynalite (./data).
set -euo pipefail
cd "$(dirname "$0")/.."

SKIP_KAFKA_INSTALL=1 bash scripts/install.sh
exec node_modules/.bin/node src/cli.ts "${1:-all}"
