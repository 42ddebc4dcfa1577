import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { ConfigError, loadConfig } from '../../src/config.ts'

test('config defaults to the embedded mode', () => {
  const config = loadConfig({})

  assert.equal(config.port, 8000)
  assert.equal(config.commandLog, 'embedded')
  assert.equal(config.store, 'embedded')
  assert.equal(config.kafka.topic, 'orders.accepted')
  assert.equal(config.tables.orders, 'orders')
})

test('config keeps the original variable names', () => {
  const config = loadConfig({
    KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092,127.0.0.1:9093',
    KAFKA_TOPIC_ORDENES: 'ordenes',
    DYNAMO_TABLE_ORDENES: 'ordenes',
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:8001',
  })

  assert.equal(config.commandLog, 'kafka')
  assert.deepEqual(config.kafka.bootstrapServers, ['127.0.0.1:9092', '127.0.0.1:9093'])
  assert.equal(config.kafka.topic, 'ordenes')
  assert.equal(config.tables.orders, 'ordenes')
  assert.equal(config.store, 'dynamodb')
  assert.equal(config.aws.region, 'eu-west-1')
  assert.equal(config.aws.endpoint, 'http://127.0.0.1:8001')
})

test('config reports every problem at once', () => {
  const env = {
    PORT: 'abc',
    COMMAND_LOG: 'kafka',
    INSTRUMENTS: JSON.stringify({ aapl: { tickSize: '0.01', lotSize: '1' }, MSFT: { tickSize: '0.001' } }),
  }

  assert.throws(() => loadConfig(env), (error: unknown) => {
    assert.ok(error instanceof ConfigError)
    assert.equal(error.problems.length, 4)
    assert.match(error.problems[0], /^PORT must be an integer/)
    assert.match(error.problems[1], /KAFKA_BOOTSTRAP_SERVERS is required/)
    assert.match(error.problems[2], /"aapl" is not a valid symbol/)
    assert.match(error.problems[3], /"MSFT": lotSize is missing/)
    return true
  })
})

test('config rejects a linger of half the request timeout', () => {
  const env = { KAFKA_PRODUCER_LINGER_MS: '250', KAFKA_REQUEST_TIMEOUT_MS: '500' }

  assert.throws(() => loadConfig(env), (error: unknown) => {
    assert.ok(error instanceof ConfigError)
    assert.equal(error.problems.length, 1)
    assert.match(error.problems[0], /KAFKA_PRODUCER_LINGER_MS \(250\) must be below half/)
    assert.match(error.problems[0], /KAFKA_REQUEST_TIMEOUT_MS \(500\)/)
    return true
  })

  const accepted = loadConfig({ KAFKA_PRODUCER_LINGER_MS: '249', KAFKA_REQUEST_TIMEOUT_MS: '500' })
  assert.equal(accepted.kafka.producerLingerMs, 249)
})

test('config reads the Kafka session timeout', () => {
  assert.equal(loadConfig({}).kafka.sessionTimeoutMs, 10_000)
  assert.equal(loadConfig({ KAFKA_SESSION_TIMEOUT_MS: '6000' }).kafka.sessionTimeoutMs, 6000)
  assert.throws(() => loadConfig({ KAFKA_SESSION_TIMEOUT_MS: '5999' }), /KAFKA_SESSION_TIMEOUT_MS/)
  assert.equal(loadConfig({ KAFKA_SESSION_TIMEOUT_MS: '60000' }).kafka.sessionTimeoutMs, 60_000)
  assert.throws(() => loadConfig({ KAFKA_SESSION_TIMEOUT_MS: '60001' }), /KAFKA_SESSION_TIMEOUT_MS/)
})

test('config rejects instruments that are not JSON', () => {
  assert.throws(() => loadConfig({ INSTRUMENTS: '{bad' }), /INSTRUMENTS is not valid JSON/)
})

/** Variables with a default, and a valid value for each. */
const DEFAULTED: Record<string, string> = {
  PORT: '8001',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  BODY_LIMIT_BYTES: '4096',
  DATA_DIR: './data',
  COMMAND_LOG: 'embedded',
  KAFKA_TOPIC_ORDENES: 'orders.accepted',
  KAFKA_PARTITIONS: '3',
  KAFKA_REPLICATION_FACTOR: '1',
  KAFKA_CLIENT_ID: 'order-engine',
  KAFKA_GROUP_ID: 'matching-engine',
  KAFKA_REQUEST_TIMEOUT_MS: '5000',
  KAFKA_PRODUCER_LINGER_MS: '0',
  KAFKA_SESSION_TIMEOUT_MS: '10000',
  EMBEDDED_PARTITIONS: '3',
  STORE: 'embedded',
  AWS_REGION: 'us-east-1',
  DYNAMO_REQUEST_TIMEOUT_MS: '3000',
  DYNAMO_TABLE_ORDENES: 'orders',
  DYNAMO_TABLE_ORDER_BOOK: 'order_book',
  DYNAMO_TABLE_TRADES: 'trades_by_order',
  DYNAMO_TABLE_BOOK_LEVELS: 'book_levels',
  DYNAMO_TABLE_SNAPSHOTS: 'engine_snapshots',
  DYNAMO_TABLE_DEAD_LETTERS: 'dead_letters',
  DYNALITE_PORT: '0',
  ENGINE_BATCH_MAX_COMMANDS: '2000',
  SNAPSHOT_EVERY_COMMANDS: '5000',
}

test('config rejects an empty PORT', () => {
  assert.throws(() => loadConfig({ PORT: '' }), (error: unknown) => {
    assert.ok(error instanceof ConfigError)
    assert.deepEqual(error.problems, ['PORT is set but empty: give it a value, or unset it to use the default "8000"'])
    return true
  })
})

test('config rejects a defaulted variable of blanks', () => {
  for (const value of [' ', '\t', '  \n']) {
    assert.throws(() => loadConfig({ ...DEFAULTED, KAFKA_TOPIC_ORDENES: value }), (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.match(error.problems[0], /^KAFKA_TOPIC_ORDENES is set but empty/)
      return true
    })
  }
})

test('config rejects empty defaulted variables', () => {
  // Each valid value loads, so each rejection below comes from the empty value alone.
  loadConfig(DEFAULTED)

  for (const name of Object.keys(DEFAULTED)) {
    assert.throws(() => loadConfig({ ...DEFAULTED, [name]: '' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, name)
      assert.equal(error.problems.length, 1, `${name}: ${error.problems.join('; ')}`)
      assert.match(error.problems[0], new RegExp(`^${name} is set but empty: give it a value, or unset it`))
      return true
    })
  }
})

test('config treats empty optional variables as unset', () => {
  const config = loadConfig({ KAFKA_BOOTSTRAP_SERVERS: '', AWS_ENDPOINT_URL: '', INSTRUMENTS: '', INSTRUMENTS_FILE: '' })

  assert.equal(config.commandLog, 'embedded')
  assert.deepEqual(config.kafka.bootstrapServers, [])
  assert.equal(config.store, 'embedded')
  assert.equal(config.aws.endpoint, undefined)
  assert.deepEqual(config.instruments, {})
})

test('config rejects a repeated symbol', () => {
  const text = '{"AAPL":{"tickSize":"0.01","lotSize":"1"},"MSFT":{"tickSize":"0.01","lotSize":"1"},' +
    '"AAPL":{"tickSize":"0.05","lotSize":"1"}}'

  assert.throws(() => loadConfig({ INSTRUMENTS: text }), (error: unknown) => {
    assert.ok(error instanceof ConfigError)
    assert.deepEqual(error.problems, ['INSTRUMENTS lists instrument "AAPL" twice: list each symbol once'])
    return true
  })
  // A name spelled with an escape is the same name once decoded.
  assert.throws(
    () => loadConfig({ INSTRUMENTS: '{"AAPL":{"tickSize":"0.01","lotSize":"1"},"AAP\\u004c":{"tickSize":"0.01","lotSize":"1"}}' }),
    /INSTRUMENTS lists instrument "AAPL" twice/,
  )
})

test('config rejects a repeated symbol in INSTRUMENTS_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-test-'))
  const file = join(dir, 'instruments.json')
  try {
    writeFileSync(file, '{\n  "BTC": {"tickSize": "0.5", "lotSize": "0.001"},\n  "BTC": {"tickSize": "1", "lotSize": "0.001"}\n}\n')
    assert.throws(() => loadConfig({ INSTRUMENTS_FILE: file }), (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.deepEqual(error.problems, [`INSTRUMENTS_FILE (${file}) lists instrument "BTC" twice: list each symbol once`])
      return true
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('config rejects a repeated instrument field', () => {
  const text = '{"AAPL":{"tickSize":"0.01","lotSize":"1","tickSize":"0.05"},"MSFT":{"tickSize":"0.01","lotSize":"1"}}'

  assert.throws(() => loadConfig({ INSTRUMENTS: text }), (error: unknown) => {
    assert.ok(error instanceof ConfigError)
    assert.deepEqual(error.problems, ['INSTRUMENTS: instrument "AAPL" sets "tickSize" twice: set each field once'])
    return true
  })
  // The same field in two instruments is no repeat.
  const config = loadConfig({
    INSTRUMENTS: '{"AAPL":{"tickSize":"0.01","lotSize":"1"},"MSFT":{"tickSize":"0.01","lotSize":"1"}}',
  })
  assert.deepEqual(Object.keys(config.instruments), ['AAPL', 'MSFT'])
})

test('config rejects off-grid instrument limits', () => {
  const problems = (entry: Record<string, string>): string[] => {
    try {
      loadConfig({ INSTRUMENTS: JSON.stringify({ AAPL: { tickSize: '0.01', lotSize: '1', ...entry } }) })
    } catch (error) {
      assert.ok(error instanceof ConfigError)
      return error.problems
    }
    assert.fail(`${JSON.stringify(entry)} was accepted`)
  }

  assert.deepEqual(problems({ maxPrice: '100.005' }), [
    'instrument "AAPL": maxPrice 100.005 is not a multiple of tickSize 0.01: the nearest multiples are 100 and 100.01',
  ])
  assert.deepEqual(problems({ minQuantity: '2.5' }), [
    'instrument "AAPL": minQuantity 2.5 is not a multiple of lotSize 1: the nearest multiples are 2 and 3',
  ])
  assert.deepEqual(problems({ maxQuantity: '1000.5' }), [
    'instrument "AAPL": maxQuantity 1000.5 is not a multiple of lotSize 1: the nearest multiples are 1000 and 1001',
  ])
  assert.deepEqual(problems({ maxQuantity: '0.5' }), ['instrument "AAPL": maxQuantity 0.5 is below one lot (lotSize 1)'])
})
