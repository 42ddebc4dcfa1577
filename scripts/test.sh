#!/usr/bin/env bash
# Runs the whole test suite: type check, unit tests, then the end-to-end
# tests against a real Kafka broker (started here unless
# KAFKA_BOOTSTRAP_SERVERS names one) and dynalite child processes.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh
export PATH="$PWD/node_modules/.bin:$PATH"

echo "== type check"
tsc --noEmit -p .

broker_dir=""
stop_broker() {
  if [ -n "$broker_dir" ]; then
    KAFKA_DATA_DIR="$broker_dir" bash scripts/kafka/kafka.sh stop || true
    rm -rf "$broker_dir"
  fi
}
trap stop_broker EXIT

if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  broker_dir="$(mktemp -d "${TMPDIR:-/tmp}/order-engine-kafka.XXXXXX")"
  export KAFKA_PORT="${TEST_KAFKA_PORT:-29092}"
  export KAFKA_CONTROLLER_PORT="${TEST_KAFKA_CONTROLLER_PORT:-29093}"
  KAFKA_DATA_DIR="$broker_dir" bash scripts/kafka/kafka.sh start
  export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT"
fi

echo "== tests (broker $KAFKA_BOOTSTRAP_SERVERS)"
node --test --test-concurrency=1 --test-reporter=spec \
  'test/unit/**/*.test.ts' 'test/e2e/**/*.test.ts'
