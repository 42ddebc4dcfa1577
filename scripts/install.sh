#!/usr/bin/env bash
# Installs everything the service and its tests need: npm packages (which
# bring Node 24 and dynalite) and the Apache Kafka jars from Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages"
  # npm itself may run on an older system Node. The packages run on the Node
  # 24 that the npm package node installs, so engine warnings are noise.
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "${SKIP_KAFKA_INSTALL:-}" != "1" ]; then
  bash scripts/kafka/kafka.sh install
fi
