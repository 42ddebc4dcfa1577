/**
 * The Kafka command log against a real broker on 127.0.0.1:19092 (controller
 * 19093), started through scripts/kafka/kafka.sh, or against the broker named
 * by KAFKA_BOOTSTRAP_SERVERS. Every test uses its own topic and group.
 */

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { Admin, Consumer } from '@platformatic/kafka'
import { pino } from 'pino'

import { startKafka, type KafkaBroker } from '../../helpers/kafka-broker.ts'
import { createKafkaLog, type KafkaLogOptions } from '../../../src/log/kafka-log.ts'
import { murmur2Partition } from '../../../src/log/partitioner.ts'
import type { AppendResult, CommandLog, LogRecord, PartitionHandler } from '../../../src/log/types.ts'

const KAFKA_PORT = 19092
const KAFKA_CONTROLLER_PORT = 19093
// A broker that only the stop test uses, when the shared one is external.
const STOPPABLE_KAFKA_PORT = 19094
const STOPPABLE_KAFKA_CONTROLLER_PORT = 19095
const KAFKA_LIB_DIR = fileURLToPath(new URL('../../../.kafka/lib', import.meta.url))
// Bound on the polling waits below, because a broker on a loaded machine can
// take several seconds per rebalance.
const WAIT_TIMEOUT_MS = 45_000
const TEST_TIMEOUT_MS = 120_000

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })
const execFileAsync = promisify(execFile)

let broker: KafkaBroker
let dataDir: string
const logs: CommandLog[] = []

before(async () => {
  dataDir = join(tmpdir(), `order-engine-kafka-e2e-${KAFKA_PORT}`)
  broker = await startKafka({ port: KAFKA_PORT, controllerPort: KAFKA_CONTROLLER_PORT, dataDir })
})

after(async () => {
  await Promise.all(logs.map((log) => log.close()))
  await broker?.stop()
  if (broker !== undefined && !broker.external) await rm(dataDir, { recursive: true, force: true })
})

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

interface OpenedLog {
  log: CommandLog
  topic: string
}

function openLog(overrides: Partial<KafkaLogOptions> = {}): OpenedLog {
  const topic = overrides.topic ?? uniqueName('commands')
  const log = createKafkaLog({
    bootstrapServers: broker.bootstrapServers,
    topic,
    partitions: 3,
    clientId: 'kafka-log-e2e',
    requestTimeoutMs: 5_000,
    logger,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 20_000,
    fetchMaxWaitMs: 500,
    ...overrides,
  })
  logs.push(log)
  return { log, topic }
}

async function waitFor(condition: () => boolean, description: string): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_TIMEOUT_MS} ms waiting until ${description}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Owner of each partition across every handler of a test. */
class Holders {
  readonly violations: string[] = []
  #holders = new Map<number, string>()

  claim(partition: number, name: string): void {
    const holder = this.#holders.get(partition)
    if (holder !== undefined && holder !== name) {
      this.violations.push(`${name} was assigned partition ${partition} while ${holder} still owned it`)
    }
    this.#holders.set(partition, name)
  }

  release(partition: number, name: string): void {
    if (this.#holders.get(partition) === name) this.#holders.delete(partition)
  }
}

interface RecordingHandlerOptions {
  /** Offset that `assigned` returns (0 when absent). */
  startOffset?: (partition: number) => Promise<bigint>
  /** Makes `records` reject the batch when it returns true. */
  failBatch?: (partition: number, batch: LogRecord[]) => boolean
}

/** A PartitionHandler that records every call and checks the call order. */
class RecordingHandler implements PartitionHandler {
  readonly name: string
  readonly owned = new Set<number>()
  readonly received = new Map<number, LogRecord[]>()
  readonly batchSizes: number[] = []
  readonly violations: string[] = []
  readonly assignedCalls: number[] = []
  /** The end offset each `assigned` call was given, by partition. */
  readonly endOffsets = new Map<number, bigint>()
  readonly revokedCalls: number[] = []
  #options: RecordingHandlerOptions
  #holders: Holders
  #inFlight = new Set<number>()

  constructor(name: string, holders: Holders, options: RecordingHandlerOptions = {}) {
    this.name = name
    this.#holders = holders
    this.#options = options
  }

  async assigned(partition: number, endOffset: bigint): Promise<bigint> {
    this.assignedCalls.push(partition)
    this.endOffsets.set(partition, endOffset)
    this.#holders.claim(partition, this.name)
    this.owned.add(partition)
    return (await this.#options.startOffset?.(partition)) ?? 0n
  }

  async records(partition: number, batch: LogRecord[]): Promise<void> {
    if (!this.owned.has(partition)) this.violations.push(`records for partition ${partition} while not owned`)
    if (this.#inFlight.has(partition)) this.violations.push(`two batches of partition ${partition} at once`)
    if (this.#options.failBatch?.(partition, batch) === true) throw new Error('simulated store failure')
    this.#inFlight.add(partition)

    // Yields, so that an overlapping delivery would be seen above.
    await new Promise((resolve) => setTimeout(resolve, 5))
    this.batchSizes.push(batch.length)
    const received = this.received.get(partition) ?? []
    received.push(...batch)
    this.received.set(partition, received)
    this.#inFlight.delete(partition)
  }

  async revoked(partition: number): Promise<void> {
    if (this.#inFlight.has(partition)) this.violations.push(`revoked partition ${partition} during a batch`)
    this.revokedCalls.push(partition)
    this.owned.delete(partition)
    this.#holders.release(partition, this.name)
  }

  offsets(partition: number): bigint[] {
    return (this.received.get(partition) ?? []).map((record) => record.offset)
  }

  count(): number {
    let total = 0
    for (const records of this.received.values()) total += records.length
    return total
  }
}

async function topicPartitionCount(topic: string): Promise<number | undefined> {
  const admin = new Admin({ clientId: 'kafka-log-e2e-check', bootstrapBrokers: broker.bootstrapServers })
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
    return metadata.topics.get(topic)?.partitionsCount
  } finally {
    await admin.close()
  }
}

async function committedOffset(groupId: string, topic: string, partition: number): Promise<bigint> {
  const reader = new Consumer({ clientId: 'kafka-log-e2e-offsets', groupId, bootstrapBrokers: broker.bootstrapServers })
  try {
    const committed = await reader.listCommittedOffsets({ topics: [{ topic, partitions: [partition] }] })
    const offset = committed.get(topic)?.[partition]
    assert.ok(offset !== undefined, `no committed offset listed for ${topic} partition ${partition}`)
    return offset
  } finally {
    await reader.close()
  }
}

/**
 * Partitions that the Java client's default partitioner picks for `keys`,
 * one array for each count in `partitionCounts`. One JVM run for all of them,
 * because compiling and starting takes seconds.
 */
async function javaPartitions(keys: string[], partitionCounts: number[]): Promise<number[][]> {
  const dir = await mkdtemp(join(tmpdir(), 'partition-for-key-'))
  const source = join(dir, 'PartitionForKey.java')
  await writeFile(
    source,
    [
      'import java.nio.charset.StandardCharsets;',
      'import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;',
      'public class PartitionForKey {',
      '  public static void main(String[] args) {',
      '    for (String count : args[0].split(",")) {',
      '      StringBuilder line = new StringBuilder();',
      '      for (int i = 1; i < args.length; i++) {',
      '        byte[] key = args[i].getBytes(StandardCharsets.UTF_8);',
      '        if (i > 1) line.append(\' \');',
      '        line.append(BuiltInPartitioner.partitionForKey(key, Integer.parseInt(count)));',
      '      }',
      '      System.out.println(line);',
      '    }',
      '  }',
      '}',
    ].join('\n'),
  )

  try {
    const args = ['-cp', join(KAFKA_LIB_DIR, '*'), source, partitionCounts.join(','), ...keys]
    const { stdout } = await execFileAsync('java', args)
    return stdout.trim().split('\n').map((line) => line.split(' ').map(Number))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('kafka log', () => {
  test('ensure creates the topic with its partitions', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { log, topic } = openLog({ partitions: 4 })

    await log.ensure()
    assert.equal(await topicPartitionCount(topic), 4)
    await log.ensure()
    await log.ping()
    assert.equal(log.partitions, 4)
  })

  test('ensure rejects another partition count', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { log, topic } = openLog({ partitions: 2 })
    await log.ensure()

    const other = openLog({ topic, partitions: 3 })
    await assert.rejects(other.log.ensure(), /has 2 partitions but KAFKA_PARTITIONS is 3/)
  })

  test('ping rejects a missing topic', { timeout: TEST_TIMEOUT_MS }, async () => {
    await assert.rejects(openLog().log.ping(), /unknown topic/i)
  })

  test('append returns increasing offsets per partition', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { log } = openLog({ partitions: 3 })
    await log.ensure()
    const producer = log.producer()

    // These keys cover all three partitions.
    const keys = ['BTC-USD', 'ETH-USD', 'XRP-USD', 'AAPL', 'EURUSD', 'ÉTÉ-2026']
    const partitionOfKey = new Map<string, number>()
    const lastOffset = new Map<number, bigint>()

    for (let round = 0; round < 3; round++) {
      for (const key of keys) {
        const result = await producer.append(key, Buffer.from(`${key}:${round}`))

        const known = partitionOfKey.get(key)
        if (known !== undefined) assert.equal(result.partition, known, `key ${key} moved partition`)
        partitionOfKey.set(key, result.partition)
        assert.equal(result.partition, murmur2Partition(key, 3), `key ${key} is not on its murmur2 partition`)

        const previous = lastOffset.get(result.partition)
        const expected = previous === undefined ? 0n : previous + 1n
        assert.equal(result.offset, expected, `offset on partition ${result.partition}`)
        lastOffset.set(result.partition, result.offset)
      }
    }
    assert.equal(new Set(partitionOfKey.values()).size, 3, 'the keys should cover every partition')
  })

  test('partitions match the Java client', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    if (!existsSync(KAFKA_LIB_DIR)) {
      t.skip('no broker jars in .kafka/lib to compare with')
      return
    }

    // Lengths 1 to 5 cover every tail length of murmur2's 4-byte blocks.
    const keys = ['A', 'AB', 'ABC', 'ABCD', 'ABCDE', 'BTC-USD', 'ETH-USD', 'AAPL', 'ÉTÉ-2026', '株式-7203']
    const partitionCounts = [1, 3, 7, 16]
    const expected = await javaPartitions(keys, partitionCounts)

    for (const [index, partitions] of partitionCounts.entries()) {
      const actual = keys.map((key) => murmur2Partition(key, partitions))
      assert.deepEqual(actual, expected[index], `partitions for ${partitions} partitions`)
    }
  })

  test('consumer reads in order from the assigned offset', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { log } = openLog({ partitions: 3, maxBatchRecords: 4 })
    await log.ensure()
    const producer = log.producer()

    const key = 'BTC-USD'
    const partition = murmur2Partition(key, 3)
    const values: string[] = []
    const appendedAfterMs = Date.now()
    for (let i = 0; i < 12; i++) {
      values.push(`order-${i}`)
      await producer.append(key, Buffer.from(values[i]))
    }

    const holders = new Holders()
    const handler = new RecordingHandler('consumer', holders, {
      startOffset: async (assigned) => (assigned === partition ? 5n : 0n),
    })
    const consumer = log.consumer(uniqueName('group'))
    const running = consumer.run(handler)

    await waitFor(() => handler.offsets(partition).length >= 7, 'offsets 5 to 11 arrive')
    assert.equal(handler.endOffsets.get(partition), 12n, 'assigned gets the end offset of the partition')
    // A record appended while the consumer runs arrives too.
    values.push('order-12')
    await producer.append(key, Buffer.from(values[12]))
    await waitFor(() => handler.offsets(partition).length >= 8, 'the record appended later arrives')

    await consumer.close()
    await running

    const received = handler.received.get(partition) ?? []
    assert.deepEqual(
      received.map((record) => record.offset),
      [5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n],
    )
    assert.deepEqual(
      received.map((record) => record.value.toString()),
      values.slice(5),
    )
    for (const record of received) {
      assert.equal(record.key, key)
      assert.equal(record.partition, partition)
      assert.ok(record.timestampMs >= appendedAfterMs, `timestamp ${record.timestampMs} is before the append`)
    }
    assert.ok(Math.max(...handler.batchSizes) <= 4, `batch sizes ${handler.batchSizes.join(',')} exceed 4`)
    assert.ok(handler.batchSizes.length >= 2, 'seven records with at most four a batch need two batches')
    assert.deepEqual(handler.violations, [])
    assert.deepEqual(holders.violations, [])
    assert.deepEqual([...handler.owned], [], 'close() must revoke every partition')
    assert.deepEqual(handler.revokedCalls.toSorted(), [0, 1, 2])
  })

  test('new consumer resumes from the committed offset', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { log, topic } = openLog({ partitions: 1 })
    await log.ensure()
    const producer = log.producer()
    for (let i = 0; i < 6; i++) await producer.append('ETH-USD', Buffer.from(`order-${i}`))

    const groupId = uniqueName('group')
    const holders = new Holders()

    const first = new RecordingHandler('first', holders)
    const firstConsumer = log.consumer(groupId)
    const firstRun = firstConsumer.run(first)
    await waitFor(() => first.offsets(0).length === 6, 'the first consumer reads offsets 0 to 5')

    await firstConsumer.commit(0, 4n)
    await assert.rejects(firstConsumer.commit(1, 1n), /not assigned to this consumer/)
    await firstConsumer.close()
    await firstRun
    await assert.rejects(firstConsumer.commit(0, 5n), /the consumer is closed/)
    assert.equal(await committedOffset(groupId, topic, 0), 4n)

    // The second consumer starts at the group's committed offset, as an
    // engine without a snapshot would.
    const second = new RecordingHandler('second', holders, {
      startOffset: (partition) => committedOffset(groupId, topic, partition),
    })
    const secondConsumer = log.consumer(groupId)
    const secondRun = secondConsumer.run(second)
    await waitFor(() => second.offsets(0).length === 2, 'the second consumer reads offsets 4 and 5')
    await secondConsumer.close()
    await secondRun

    assert.deepEqual(second.offsets(0), [4n, 5n])
    assert.deepEqual(first.violations, [])
    assert.deepEqual(second.violations, [])
    assert.deepEqual(holders.violations, [])
  })

  test('failed batch restarts the partition', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { log } = openLog({ partitions: 1, maxBatchRecords: 2 })
    await log.ensure()
    const producer = log.producer()
    for (let i = 0; i < 6; i++) await producer.append('BTC-USD', Buffer.from(`order-${i}`))

    // The first batch with offset 4 fails once. The handler then reports a
    // snapshot at offset 2, so reading restarts at 3.
    let failed = false
    const holders = new Holders()
    const handler = new RecordingHandler('consumer', holders, {
      startOffset: async () => (failed ? 3n : 0n),
      failBatch: (_partition, batch) => {
        if (failed || !batch.some((record) => record.offset === 4n)) return false
        failed = true
        return true
      },
    })
    const consumer = log.consumer(uniqueName('group'))
    const running = consumer.run(handler)

    await waitFor(() => handler.offsets(0).includes(5n), 'offset 5 arrives after the restart')
    assert.deepEqual(handler.revokedCalls, [0], 'the failed batch revokes the partition')
    await consumer.close()
    await running

    assert.deepEqual(handler.offsets(0), [0n, 1n, 2n, 3n, 3n, 4n, 5n])
    assert.deepEqual(handler.assignedCalls, [0, 0])
    assert.deepEqual(handler.revokedCalls, [0, 0])
    assert.deepEqual(handler.violations, [])
  })

  test('run rejects an offset past the log end', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { log } = openLog({ partitions: 1 })
    await log.ensure()
    await log.producer().append('BTC-USD', Buffer.from('order-0'))

    const holders = new Holders()
    const handler = new RecordingHandler('consumer', holders, { startOffset: async () => 100n })
    const consumer = log.consumer(uniqueName('group'))

    await assert.rejects(consumer.run(handler), (error: Error) => {
      assert.equal(error.name, 'FetchOffsetOutOfRangeError')
      assert.match(error.message, /offset 100 of .* partition 0 is out of range/)
      return true
    })
    assert.deepEqual(handler.revokedCalls, [0], 'the consumer revokes the partition before it stops')
    assert.deepEqual([...handler.owned], [])
  })

  test('two consumers split the partitions', { timeout: TEST_TIMEOUT_MS }, async () => {
    const partitions = 4
    const { log } = openLog({ partitions })
    await log.ensure()
    const producer = log.producer()
    // These keys cover all four partitions.
    const keys = ['BTC-USD', 'ETH-USD', 'DOGE-USD', 'ÉTÉ-2026', 'META', 'IBM', 'XRP-USD', 'ADA-USD']
    for (const key of keys) await producer.append(key, Buffer.from(key))

    const groupId = uniqueName('group')
    const holders = new Holders()
    const a = new RecordingHandler('a', holders)
    const b = new RecordingHandler('b', holders)
    const consumerA = log.consumer(groupId)
    const consumerB = log.consumer(groupId)

    const runA = consumerA.run(a)
    await waitFor(() => a.owned.size === partitions, 'a holds every partition')
    await waitFor(() => a.count() === keys.length, 'a reads every record')

    const runB = consumerB.run(b)
    await waitFor(
      () => a.owned.size > 0 && b.owned.size > 0 && a.owned.size + b.owned.size === partitions,
      'a and b split the partitions',
    )
    for (const partition of b.owned) assert.ok(!a.owned.has(partition), `partition ${partition} is owned by both`)

    const heldByB = [...b.owned]
    await consumerB.close()
    await runB
    assert.deepEqual([...b.owned], [], 'b revokes its partitions before close() resolves')
    assert.deepEqual(b.revokedCalls.filter((partition) => heldByB.includes(partition)).toSorted(), heldByB.toSorted())

    await waitFor(() => a.owned.size === partitions, 'a takes over the partitions of b')
    // A record on a partition that b owned reaches a.
    const movedKey = keys.find((key) => heldByB.includes(murmur2Partition(key, partitions)))
    assert.ok(movedKey !== undefined)
    const moved = await producer.append(movedKey, Buffer.from('after-takeover'))
    await waitFor(
      () => a.offsets(moved.partition).includes(moved.offset),
      `a reads offset ${moved.offset} of partition ${moved.partition}`,
    )

    await consumerA.close()
    await runA
    assert.deepEqual(a.violations, [])
    assert.deepEqual(b.violations, [])
    assert.deepEqual(holders.violations, [])
  })

  test('append rejects while the broker is stopped', { timeout: TEST_TIMEOUT_MS * 2 }, async (t) => {
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

    const requestTimeoutMs = 2_000
    const { log } = openLog({ partitions: 2, requestTimeoutMs, bootstrapServers: stoppable.bootstrapServers })
    await log.ensure()
    const producer = log.producer()
    const before = await producer.append('BTC-USD', Buffer.from('before'))

    const holders = new Holders()
    const handler = new RecordingHandler('consumer', holders)
    const consumer = log.consumer(uniqueName('group'))
    const running = consumer.run(handler)
    await waitFor(() => handler.owned.size === 2, 'the consumer holds both partitions')

    await stoppable.stop()
    try {
      await assert.rejects(producer.append('BTC-USD', Buffer.from('while-stopped')))
      await assert.rejects(log.ping())
      // Without heartbeats the broker would reassign the partitions, so the
      // consumer revokes them before its session runs out.
      await waitFor(() => handler.owned.size === 0, 'the consumer revokes its partitions')
    } finally {
      await stoppable.start()
    }

    await waitFor(() => handler.owned.size === 2, 'the consumer holds both partitions again')
    // The first appends after a restart can fail while the partition
    // leaders are being elected again.
    let after: AppendResult | undefined
    for (let attempt = 0; after === undefined && attempt < 50; attempt++) {
      try {
        after = await producer.append('BTC-USD', Buffer.from('after'))
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }
    assert.ok(after !== undefined, 'append still fails after the broker restarted')
    assert.equal(after.partition, before.partition)
    assert.ok(after.offset > before.offset, `offset ${after.offset} after restart is not past ${before.offset}`)
    await waitFor(() => handler.offsets(after.partition).includes(after.offset), 'the record appended after restart arrives')

    await consumer.close()
    await running
    await log.close()
    assert.deepEqual(handler.violations, [])
    assert.deepEqual(holders.violations, [])
  })
})
