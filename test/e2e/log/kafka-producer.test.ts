/**
 * Group commit of the Kafka producer against a real broker on 127.0.0.1:19096
 * (controller 19097), started through scripts/kafka/kafka.sh, or against the
 * broker named by KAFKA_BOOTSTRAP_SERVERS. Every test uses its own topic.
 *
 * The size of each Produce request is read from the client's own
 * diagnostics channel `tracing:plt:kafka:producer:sends:start`, which
 * @platformatic/kafka 2.12.1 publishes once per send() call.
 */

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'

import { pino } from 'pino'

import { startKafka, type KafkaBroker } from '../../helpers/kafka-broker.ts'
import { KafkaLogTimeoutError } from '../../../src/log/kafka-deadline.ts'
import { createKafkaLog } from '../../../src/log/kafka-log.ts'
import { KafkaLogProducer, type KafkaProducerOptions } from '../../../src/log/kafka-producer.ts'
import { murmur2Partition } from '../../../src/log/partitioner.ts'
import type { AppendResult, CommandLog, LogRecord, PartitionHandler } from '../../../src/log/types.ts'

const KAFKA_PORT = 19096
const KAFKA_CONTROLLER_PORT = 19097
// A broker that only the stop test uses, when the shared one is external.
const STOPPABLE_KAFKA_PORT = 19098
const STOPPABLE_KAFKA_CONTROLLER_PORT = 19099
const SENDS_CHANNEL = 'tracing:plt:kafka:producer:sends:start'
const PARTITIONS = 3
// These keys cover all three partitions.
const KEYS = ['BTC-USD', 'ETH-USD', 'XRP-USD', 'AAPL', 'EURUSD', 'ÉTÉ-2026', 'META', 'IBM', 'DOGE-USD', 'ADA-USD']
const WAIT_TIMEOUT_MS = 45_000
const TEST_TIMEOUT_MS = 120_000

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })

let broker: KafkaBroker
let dataDir: string
const logs: CommandLog[] = []
const producers: KafkaLogProducer[] = []

before(async () => {
  dataDir = join(tmpdir(), `order-engine-kafka-e2e-${KAFKA_PORT}`)
  broker = await startKafka({ port: KAFKA_PORT, controllerPort: KAFKA_CONTROLLER_PORT, dataDir })
})

after(async () => {
  await Promise.all(producers.map((producer) => producer.close()))
  await Promise.all(logs.map((log) => log.close()))
  await broker?.stop()
  if (broker !== undefined && !broker.external) await rm(dataDir, { recursive: true, force: true })
})

/** Creates a fresh topic and returns its log, for the consumer side. */
async function createTopic(bootstrapServers: string[]): Promise<{ log: CommandLog, topic: string }> {
  const topic = `commands-${randomUUID().slice(0, 8)}`
  const log = createKafkaLog({
    bootstrapServers,
    topic,
    partitions: PARTITIONS,
    clientId: 'kafka-producer-e2e',
    requestTimeoutMs: 5_000,
    logger,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 20_000,
    fetchMaxWaitMs: 500,
  })
  logs.push(log)
  await log.ensure()
  return { log, topic }
}

interface OpenedProducer {
  producer: KafkaLogProducer
  /** Client id, unique per producer, to tell its requests apart. */
  clientId: string
}

function openProducer(options: Partial<KafkaProducerOptions> & { topic: string }): OpenedProducer {
  const clientId = `kafka-producer-e2e-${randomUUID().slice(0, 8)}`
  const producer = new KafkaLogProducer({
    bootstrapServers: broker.bootstrapServers,
    partitions: PARTITIONS,
    clientId,
    requestTimeoutMs: 5_000,
    logger,
    ...options,
  })
  producers.push(producer)
  return { producer, clientId }
}

/** Message count of every send() call of the client `clientId`, until stop() is called. */
function recordSends(clientId: string): { counts: number[], stop(): void } {
  const counts: number[] = []
  const onSend = (message: unknown): void => {
    const context = message as { client?: { clientId?: string }, options?: { messages?: unknown[] } }
    if (context.client?.clientId === clientId) counts.push(context.options?.messages?.length ?? 0)
  }
  subscribe(SENDS_CHANNEL, onSend)
  return { counts, stop: () => unsubscribe(SENDS_CHANNEL, onSend) }
}

/** Appends in call order, remembering for each key the values in the order append() was called. */
class AppendLog {
  readonly issued = new Map<string, string[]>()
  readonly results = new Map<string, AppendResult>()
  readonly failures: unknown[] = []

  async append(producer: KafkaLogProducer, key: string, value: string): Promise<void> {
    const issued = this.issued.get(key) ?? []
    issued.push(value)
    this.issued.set(key, issued)

    try {
      this.results.set(value, await producer.append(key, Buffer.from(value)))
    } catch (error) {
      this.failures.push(error)
    }
  }

  /** Checks every successful append of a key: its murmur2 partition, and offsets rising in call order. */
  assertOrderPerKey(): void {
    for (const [key, values] of this.issued) {
      let previous = -1n
      for (const [index, value] of values.entries()) {
        const result = this.results.get(value)
        if (result === undefined) continue
        const name = `append ${index} of ${key}`
        assert.equal(result.partition, murmur2Partition(key, PARTITIONS), `partition of ${name}`)
        assert.ok(result.offset > previous, `offset ${result.offset} of ${name} is not past ${previous}`)
        previous = result.offset
      }
    }
  }

  /** Returns the resolved values of each partition, ordered by offset. */
  byPartition(): Map<number, { offset: bigint, value: string }[]> {
    const partitions = new Map<number, { offset: bigint, value: string }[]>()
    for (const [value, result] of this.results) {
      const entries = partitions.get(result.partition) ?? []
      entries.push({ offset: result.offset, value })
      partitions.set(result.partition, entries)
    }
    for (const entries of partitions.values()) entries.sort((a, b) => (a.offset < b.offset ? -1 : 1))
    return partitions
  }
}

/** Collects every record, from offset 0 of every partition. */
class CollectingHandler implements PartitionHandler {
  readonly received = new Map<number, LogRecord[]>()

  async assigned(): Promise<bigint> {
    return 0n
  }

  async records(partition: number, batch: LogRecord[]): Promise<void> {
    const received = this.received.get(partition) ?? []
    received.push(...batch)
    this.received.set(partition, received)
  }

  async revoked(): Promise<void> {}

  count(): number {
    let total = 0
    for (const records of this.received.values()) total += records.length
    return total
  }
}

async function waitFor(condition: () => boolean, description: string): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_TIMEOUT_MS} ms waiting until ${description}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('kafka producer', () => {
  test('concurrent appends keep order per key', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { log, topic } = await createTopic(broker.bootstrapServers)
    const maxBatchRecords = 16
    const { producer, clientId } = openProducer({ topic, maxBatchRecords })
    const sends = recordSends(clientId)
    const appends = new AppendLog()
    const appenders = 64
    const appendsEach = 40

    // Each appender waits for its own append, so up to 64 are in flight and
    // appenders share keys, which the producer must keep in call order.
    await Promise.all(
      Array.from({ length: appenders }, async (_, appender) => {
        for (let n = 0; n < appendsEach; n++) {
          const key = KEYS[(appender + n) % KEYS.length]
          await appends.append(producer, key, `${key}:${appender}:${n}`)
        }
      }),
    )
    sends.stop()

    const total = appenders * appendsEach
    assert.deepEqual(appends.failures, [])
    assert.equal(appends.results.size, total)
    appends.assertOrderPerKey()

    // Offsets of each partition are distinct and contiguous from 0.
    const partitions = appends.byPartition()
    assert.equal(partitions.size, PARTITIONS, 'the keys should cover every partition')
    for (const [partition, entries] of partitions) {
      const offsets = entries.map((entry) => entry.offset)
      const expected = entries.map((_, index) => BigInt(index))
      assert.deepEqual(offsets, expected, `offsets of partition ${partition}`)
    }

    // The appends were grouped, and no request exceeded the bound.
    assert.equal(sends.counts.reduce((sum, count) => sum + count, 0), total, 'messages sent')
    assert.ok(sends.counts.length < total, `${sends.counts.length} requests for ${total} appends: none grouped`)
    const largest = Math.max(...sends.counts)
    assert.ok(largest <= maxBatchRecords, `a request carried ${largest} messages, over ${maxBatchRecords}`)

    // A consumer reads every value once, at the offset its append returned.
    const handler = new CollectingHandler()
    const consumer = log.consumer(`group-${randomUUID().slice(0, 8)}`)
    const running = consumer.run(handler)
    await waitFor(() => handler.count() >= total, `the consumer reads ${total} records`)
    await consumer.close()
    await running

    assert.equal(handler.count(), total)
    for (const [partition, entries] of partitions) {
      const received = handler.received.get(partition) ?? []
      assert.deepEqual(
        received.map((record) => record.offset),
        entries.map((entry) => entry.offset),
        `offsets read from partition ${partition}`,
      )
      assert.deepEqual(
        received.map((record) => record.value.toString()),
        entries.map((entry) => entry.value),
        `values read from partition ${partition}`,
      )
    }
  })

  test('byte bound splits requests', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { topic } = await createTopic(broker.bootstrapServers)
    // A 1,000-byte value makes a record of about 1,040 bytes, so three fit.
    const maxBatchBytes = 3_500
    const { producer, clientId } = openProducer({ topic, maxBatchBytes })
    const sends = recordSends(clientId)
    const appends = new AppendLog()
    const padding = 'x'.repeat(996)

    const key = 'BTC-USD'
    await Promise.all(Array.from({ length: 30 }, (_, n) => appends.append(producer, key, `${n}:${padding}`)))

    const tooLarge = producer.append(key, Buffer.alloc(maxBatchBytes))
    await assert.rejects(tooLarge, /exceeds maxBatchBytes \(3500\)/)
    sends.stop()

    assert.deepEqual(appends.failures, [])
    appends.assertOrderPerKey()
    const entries = appends.byPartition().get(murmur2Partition(key, PARTITIONS)) ?? []
    assert.deepEqual(
      entries.map((entry) => entry.offset),
      entries.map((_, index) => BigInt(index)),
    )
    const sent = sends.counts.reduce((sum, count) => sum + count, 0)
    assert.equal(sent, 30, 'the record over the bound is never sent')
    const largest = Math.max(...sends.counts)
    assert.ok(largest <= 3, `a request carried ${largest} records, over the 3 that fit ${maxBatchBytes} bytes`)
    assert.ok(largest > 1, `${sends.counts.length} requests for 30 appends: none grouped`)
  })

  test('linger groups spaced appends', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { topic } = await createTopic(broker.bootstrapServers)
    const { producer, clientId } = openProducer({ topic, lingerMs: 200 })
    const sends = recordSends(clientId)
    const appends = new AppendLog()

    // Five appends 20 ms apart all arrive within the first linger.
    const pending: Promise<void>[] = []
    for (let n = 0; n < 5; n++) {
      pending.push(appends.append(producer, 'ETH-USD', `linger:${n}`))
      await sleep(20)
    }
    await Promise.all(pending)
    sends.stop()

    assert.deepEqual(appends.failures, [])
    appends.assertOrderPerKey()
    assert.deepEqual(sends.counts, [5])
  })

  test('a negative linger is rejected', () => {
    assert.throws(
      () => openProducer({ topic: 'unused', lingerMs: -1 }),
      /lingerMs must be an integer of 0 or more \(got -1\)/,
    )
  })

  test('append rejects after close', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { topic } = await createTopic(broker.bootstrapServers)
    const { producer } = openProducer({ topic })
    const pending = producer.append('BTC-USD', Buffer.from('before-close'))

    await producer.close()
    const sent = await pending
    assert.equal(sent.offset, 0n, 'close() sends the appends already queued')
    await assert.rejects(producer.append('BTC-USD', Buffer.from('after-close')), /the Kafka producer is closed/)
  })

  test('queued appends reject while the broker is stopped', { timeout: TEST_TIMEOUT_MS * 2 }, async (t) => {
    // The broker named by KAFKA_BOOTSTRAP_SERVERS may serve other tests, so
    // this test stops a broker of its own instead.
    let stoppable = broker
    if (broker.external) {
      const stoppableDir = join(tmpdir(), `order-engine-kafka-e2e-${STOPPABLE_KAFKA_PORT}`)
      stoppable = await startKafka({
        port: STOPPABLE_KAFKA_PORT,
        controllerPort: STOPPABLE_KAFKA_CONTROLLER_PORT,
        dataDir: stoppableDir,
        alwaysStart: true,
      })
      t.after(async () => {
        await stoppable.stop()
        await rm(stoppableDir, { recursive: true, force: true })
      })
    }

    const { topic } = await createTopic(stoppable.bootstrapServers)
    const { producer } = openProducer({
      topic,
      bootstrapServers: stoppable.bootstrapServers,
      requestTimeoutMs: 2_000,
      maxBatchRecords: 16,
    })
    const before = new AppendLog()
    await Promise.all(KEYS.map((key) => before.append(producer, key, `${key}:before`)))
    assert.deepEqual(before.failures, [])

    await stoppable.stop()
    const whileStopped = new AppendLog()
    try {
      // 200 appends need at least 13 requests, so most of them wait in the
      // queue while the first request fails.
      await Promise.all(
        Array.from({ length: 200 }, (_, n) => {
          const key = KEYS[n % KEYS.length]
          return whileStopped.append(producer, key, `${key}:stopped:${n}`)
        }),
      )
    } finally {
      await stoppable.start()
    }

    assert.equal(whileStopped.results.size, 0, 'no append succeeds while the broker is stopped')
    assert.equal(whileStopped.failures.length, 200)
    for (const failure of whileStopped.failures) {
      assert.ok(failure instanceof Error, `rejected with ${String(failure)}`)
      const failedRequest = /^append to .* partition \d+ failed$/.test(failure.message)
      assert.ok(failure instanceof KafkaLogTimeoutError || failedRequest, `unexpected rejection: ${failure.message}`)
    }

    // The first appends after a restart can fail while the partition leaders
    // are being elected again.
    let ready = false
    for (let attempt = 0; !ready && attempt < 50; attempt++) {
      try {
        await producer.append('BTC-USD', Buffer.from('probe'))
        ready = true
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }
    assert.ok(ready, 'append still fails after the broker restarted')

    // After the failed requests, grouped appends keep their order again.
    const afterRestart = new AppendLog()
    await Promise.all(
      Array.from({ length: 200 }, (_, n) => {
        const key = KEYS[n % KEYS.length]
        return afterRestart.append(producer, key, `${key}:after:${n}`)
      }),
    )
    assert.deepEqual(afterRestart.failures, [])
    afterRestart.assertOrderPerKey()
    for (const [partition, entries] of afterRestart.byPartition()) {
      const first = entries[0].offset
      assert.deepEqual(
        entries.map((entry) => entry.offset),
        entries.map((_, index) => first + BigInt(index)),
        `offsets of partition ${partition} after the restart`,
      )
    }
  })
})
