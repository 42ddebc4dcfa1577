import assert from 'node:assert/strict'
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
