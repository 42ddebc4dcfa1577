import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'

import { createFileLog, type FileLog, type FileLogOptions } from '../../../src/log/file-log.ts'
import { murmur2Partition } from '../../../src/log/partitioner.ts'
import type { AppendResult, LogRecord } from '../../../src/log/types.ts'
import { makeTempDir, recordingHandler, testLogger } from './helpers.ts'

const PARTITIONS = 3
/** Guards against a hang: a test that waits for records fails after this instead of blocking the run. */
const TEST_TIMEOUT_MS = 60_000

let dir: string
let cleanup: () => Promise<void>
const openLogs: FileLog[] = []

function openLog(options: Partial<FileLogOptions> = {}): FileLog {
  const log = createFileLog({ dir, partitions: PARTITIONS, logger: testLogger(), ...options })
  openLogs.push(log)
  return log
}

function value(text: string): Buffer {
  return Buffer.from(text, 'utf8')
}

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir())
})

afterEach(async () => {
  await Promise.all(openLogs.splice(0).map((log) => log.close()))
  await cleanup()
})

describe('file log producer', { timeout: TEST_TIMEOUT_MS }, () => {
  test('offsets count per partition', async () => {
    const log = openLog()
    await log.ensure()
    const producer = log.producer()

    const keys = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'XRP-USD', 'DOT-USD']
    const expectedNext = new Map<number, bigint>()
    for (let round = 0; round < 5; round += 1) {
      for (const key of keys) {
        const result = await producer.append(key, value(`${key}-${round}`))
        const partition = murmur2Partition(key, PARTITIONS)
        assert.equal(result.partition, partition, `partition of ${key}`)
        assert.equal(result.offset, expectedNext.get(partition) ?? 0n, `offset of ${key} round ${round}`)
        expectedNext.set(partition, result.offset + 1n)
      }
    }

    const endOffsets = await log.endOffsets()
    for (let partition = 0; partition < PARTITIONS; partition += 1) {
      assert.equal(endOffsets[partition], expectedNext.get(partition) ?? 0n, `end offset of ${partition}`)
    }
  })

  test('append before ensure opens the log', async () => {
    const log = openLog()
    const producer = log.producer()
    const results = await Promise.all([
      producer.append('BTC-USD', value('a')),
      producer.append('BTC-USD', value('b')),
    ])

    assert.equal(results[0].offset, 0n)
    assert.equal(results[1].offset, 1n)
  })

  test('concurrent appends keep order per key', async () => {
    const log = openLog()
    await log.ensure()
    const producer = log.producer()
    const keys = Array.from({ length: 20 }, (_, i) => `SYM-${i}`)
    const count = 5000

    const appends: Promise<AppendResult>[] = []
    for (let i = 0; i < count; i += 1) {
      const key = keys[i % keys.length]
      appends.push(producer.append(key, value(`${key}:${i}`)))
    }
    const results = await Promise.all(appends)

    // Offsets follow call order within each partition, with no gaps or repeats.
    const lastOffset = new Map<number, bigint>()
    for (const result of results) {
      const previous = lastOffset.get(result.partition) ?? -1n
      assert.equal(result.offset, previous + 1n, `offset after ${previous} in partition ${result.partition}`)
      lastOffset.set(result.partition, result.offset)
    }

    const handler = recordingHandler()
    const consumer = log.consumer('order-check')
    const run = consumer.run(handler)
    await handler.waitForCount(count, run)
    await consumer.close()
    await run

    const valuesByKey = new Map<string, number[]>()
    let delivered = 0
    for (const records of handler.delivered.values()) {
      for (const record of records) {
        const [key, index] = record.value.toString('utf8').split(':')
        assert.equal(record.key, key)
        const list = valuesByKey.get(key) ?? []
        list.push(Number(index))
        valuesByKey.set(key, list)
        delivered += 1
      }
    }

    assert.equal(delivered, count)
    for (const [key, indexes] of valuesByKey) {
      const sorted = [...indexes].sort((a, b) => a - b)
      assert.deepEqual(indexes, sorted, `order of ${key}`)
      assert.equal(indexes.length, count / keys.length, `record count of ${key}`)
    }
  })

  test('invalid key and value rejected', async () => {
    const log = openLog()
    const producer = log.producer()

    await assert.rejects(producer.append('k'.repeat(70_000), value('x')), RangeError)
    await assert.rejects(producer.append('BTC-USD', 'text' as unknown as Buffer), TypeError)
    assert.deepEqual(await log.endOffsets(), [0n, 0n, 0n])
  })

  test('closed producer rejects appends', async () => {
    const log = openLog()
    const producer = log.producer()
    const pending = producer.append('BTC-USD', value('before close'))
    await producer.close()

    assert.equal((await pending).offset, 0n)
    await assert.rejects(producer.append('BTC-USD', value('after close')), /producer is closed/)
  })

  test('closed log rejects appends and ping', async () => {
    const log = openLog()
    await log.ping()
    await log.close()

    await assert.rejects(log.producer().append('BTC-USD', value('x')), /is closed/)
    await assert.rejects(log.ping(), /is closed/)
    assert.throws(() => log.consumer('late'), /is closed/)
  })

  test('same directory opened twice rejected', async () => {
    const first = openLog()
    await first.ensure()
    const second = openLog()

    await assert.rejects(second.ensure(), /already open in this process/)
  })

  test('partition count mismatch rejected', async () => {
    const first = openLog()
    await first.ensure()
    await first.close()

    const second = openLog({ partitions: 5 })
    await assert.rejects(second.ensure(), /has 3 partitions but 5 were configured/)
  })
})

describe('file log consumer', { timeout: TEST_TIMEOUT_MS }, () => {
  test('delivers appends in order', async () => {
    const log = openLog()
    const producer = log.producer()
    const sent: AppendResult[] = []
    for (let i = 0; i < 50; i += 1) {
      sent.push(await producer.append('BTC-USD', value(`order-${i}`)))
    }

    const handler = recordingHandler()
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitForCount(50, run)
    await consumer.close()
    await run

    const partition = murmur2Partition('BTC-USD', PARTITIONS)
    const records = handler.delivered.get(partition) ?? []
    assert.equal(records.length, 50)
    for (const [i, record] of records.entries()) {
      assert.equal(record.offset, BigInt(i))
      assert.equal(record.partition, partition)
      assert.equal(record.key, 'BTC-USD')
      assert.equal(record.value.toString('utf8'), `order-${i}`)
      assert.ok(record.timestampMs > 0, 'timestamp is set')
    }
  })

  test('started before appends', async () => {
    const log = openLog()
    const handler = recordingHandler()
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)

    const producer = log.producer()
    for (let i = 0; i < 30; i += 1) {
      await producer.append(`SYM-${i % 4}`, value(`v${i}`))
    }
    await handler.waitForCount(30, run)

    await Promise.all([producer.append('SYM-0', value('late-1')), producer.append('SYM-1', value('late-2'))])
    await handler.waitForCount(32, run)
    await consumer.close()
    await run

    let total = 0
    for (const records of handler.delivered.values()) total += records.length
    assert.equal(total, 32)
  })

  test('batches bounded by batchMaxRecords', async () => {
    const log = openLog({ partitions: 1, batchMaxRecords: 7 })
    const producer = log.producer()
    await Promise.all(Array.from({ length: 100 }, (_, i) => producer.append('BTC-USD', value(`v${i}`))))

    const handler = recordingHandler()
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitForCount(100, run)
    await consumer.close()
    await run

    assert.ok(handler.batches.every((batch) => batch.size <= 7), 'no batch above 7 records')
    assert.equal(handler.batches.reduce((sum, batch) => sum + batch.size, 0), 100)
  })

  test('next batch waits for records()', async () => {
    const log = openLog({ partitions: 1, batchMaxRecords: 10 })
    const producer = log.producer()
    await Promise.all(Array.from({ length: 50 }, (_, i) => producer.append('BTC-USD', value(`v${i}`))))

    let inFlight = 0
    let maxInFlight = 0
    let delivered = 0
    const done = Promise.withResolvers<void>()
    const consumer = log.consumer('engine')
    const run = consumer.run({
      assigned: async () => 0n,
      records: async (_partition, batch) => {
        inFlight += 1
        maxInFlight = Math.max(maxInFlight, inFlight)
        // Yield to the event loop several times so an eager next batch would overlap.
        for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve))
        inFlight -= 1
        delivered += batch.length
        if (delivered === 50) done.resolve()
      },
      revoked: async () => {},
    })

    await done.promise
    await consumer.close()
    await run
    assert.equal(maxInFlight, 1)
  })

  test('replay from 0 by a new consumer', async () => {
    const log = openLog()
    const producer = log.producer()
    for (let i = 0; i < 40; i += 1) await producer.append(`SYM-${i % 5}`, value(`v${i}`))

    for (const groupId of ['first', 'second']) {
      const handler = recordingHandler()
      const consumer = log.consumer(groupId)
      const run = consumer.run(handler)
      await handler.waitForCount(40, run)
      await consumer.close()
      await run

      for (const records of handler.delivered.values()) {
        assert.deepEqual(
          records.map((record) => record.offset),
          records.map((_, i) => BigInt(i)),
          `offsets replayed by ${groupId}`,
        )
      }
    }
  })

  test('starts at the assigned offset', async () => {
    const log = openLog({ partitions: 1 })
    const producer = log.producer()
    for (let i = 0; i < 20; i += 1) await producer.append('BTC-USD', value(`v${i}`))

    const handler = recordingHandler(new Map([[0, 12n]]))
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitForCount(8, run)
    await consumer.close()
    await run

    const records = handler.delivered.get(0) ?? []
    assert.deepEqual(
      records.map((record) => record.value.toString('utf8')),
      Array.from({ length: 8 }, (_, i) => `v${12 + i}`),
    )
  })

  test('close revokes every partition', async () => {
    const log = openLog()
    const handler = recordingHandler()
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)
    await log.producer().append('BTC-USD', value('x'))
    await handler.waitForCount(1, run)

    await consumer.close()
    await run
    assert.deepEqual(handler.assignedPartitions, [0, 1, 2])
    assert.deepEqual(handler.revokedPartitions, [0, 1, 2])
  })

  test('close waits for the batch in flight', async () => {
    const log = openLog({ partitions: 1 })
    await log.producer().append('BTC-USD', value('x'))

    const entered = Promise.withResolvers<void>()
    const release = Promise.withResolvers<void>()
    const events: string[] = []
    const consumer = log.consumer('engine')
    const run = consumer.run({
      assigned: async () => 0n,
      records: async () => {
        entered.resolve()
        await release.promise
        events.push('batch done')
      },
      revoked: async () => {
        events.push('revoked')
      },
    })

    await entered.promise
    const closing = consumer.close().then(() => events.push('closed'))
    // Let close() run as far as it can while the batch is held.
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(events, [])

    release.resolve()
    await closing
    await run
    assert.deepEqual(events, ['batch done', 'revoked', 'closed'])
  })

  test('second consumer of a group rejected', async () => {
    const log = openLog()
    const first = log.consumer('engine')

    assert.throws(() => log.consumer('engine'), /already has an open consumer/)
    const other = log.consumer('audit')
    await other.close()

    await first.close()
    const again = log.consumer('engine')
    await again.close()
  })

  test('invalid assigned offset rejects run', async () => {
    const log = openLog({ partitions: 1 })
    const consumer = log.consumer('engine')
    const run = consumer.run({
      assigned: async () => -1n,
      records: async () => {},
      revoked: async () => {},
    })

    await assert.rejects(run, RangeError)
  })

  test('log close stops a running consumer', async () => {
    const log = openLog()
    const handler = recordingHandler()
    const run = log.consumer('engine').run(handler)
    await log.producer().append('BTC-USD', value('x'))
    await handler.waitForCount(1, run)

    await log.close()
    await run
    assert.deepEqual(handler.revokedPartitions, [0, 1, 2])
  })
})

describe('file log commits', { timeout: TEST_TIMEOUT_MS }, () => {
  test('commit and resume per group', async () => {
    const log = openLog()
    const producer = log.producer()
    for (let i = 0; i < 30; i += 1) await producer.append(`SYM-${i % 3}`, value(`v${i}`))

    const handler = recordingHandler()
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitForCount(30, run)

    // Commit part of the way on every partition that received records.
    const committed = new Map<number, bigint>()
    for (const [partition, records] of handler.delivered) {
      const nextOffset = records[Math.floor(records.length / 2)].offset
      await consumer.commit(partition, nextOffset)
      committed.set(partition, nextOffset)
    }
    await consumer.close()
    await run
    await log.close()

    // A new process opens the directory and resumes from the committed offsets.
    const reopened = openLog()
    const stored = await reopened.committedOffsets('engine')
    assert.deepEqual(stored, committed)
    assert.deepEqual(await reopened.committedOffsets('other-group'), new Map())

    const resumed = recordingHandler(stored)
    const expectedCount = [...handler.delivered].reduce(
      (sum, [partition, records]) => sum + records.length - Number(committed.get(partition) ?? 0n),
      0,
    )
    const consumerAgain = reopened.consumer('engine')
    const runAgain = consumerAgain.run(resumed)
    await resumed.waitForCount(expectedCount, runAgain)
    await consumerAgain.close()
    await runAgain

    for (const [partition, records] of resumed.delivered) {
      assert.equal(records[0].offset, committed.get(partition), `first offset after resume on ${partition}`)
    }
  })

  test('concurrent commits keep the last value', async () => {
    const log = openLog()
    const consumer = log.consumer('engine')

    await Promise.all(Array.from({ length: 100 }, (_, i) => consumer.commit(i % PARTITIONS, BigInt(i))))
    await consumer.close()

    assert.deepEqual(await log.committedOffsets('engine'), new Map([[0, 99n], [1, 97n], [2, 98n]]))
  })

  test('groups kept apart', async () => {
    const log = openLog()
    const engine = log.consumer('engine')
    const audit = log.consumer('audit/v2')
    await engine.commit(0, 5n)
    await audit.commit(0, 9n)
    await engine.close()
    await audit.close()

    assert.deepEqual(await log.committedOffsets('engine'), new Map([[0, 5n]]))
    assert.deepEqual(await log.committedOffsets('audit/v2'), new Map([[0, 9n]]))
  })

  test('invalid commit rejected', async () => {
    const log = openLog()
    const consumer = log.consumer('engine')

    await assert.rejects(consumer.commit(PARTITIONS, 1n), RangeError)
    await assert.rejects(consumer.commit(0, -1n), RangeError)
    await consumer.close()
    await assert.rejects(consumer.commit(0, 1n), /is closed/)
  })
})

describe('file log restart', { timeout: TEST_TIMEOUT_MS }, () => {
  test('acknowledged records survive reopen', async () => {
    const log = openLog()
    const producer = log.producer()
    const sent: { key: string, text: string, result: AppendResult }[] = []
    for (let i = 0; i < 200; i += 1) {
      const key = `SYM-${i % 7}`
      const text = `order-${i}`
      sent.push({ key, text, result: await producer.append(key, value(text)) })
    }
    const endBefore = await log.endOffsets()
    await log.close()

    const reopened = openLog()
    assert.deepEqual(await reopened.endOffsets(), endBefore)

    const handler = recordingHandler()
    const consumer = reopened.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitForCount(200, run)
    await consumer.close()
    await run

    for (const { key, text, result } of sent) {
      const record = handler.delivered.get(result.partition)?.[Number(result.offset)]
      assert.ok(record !== undefined, `record ${result.partition}/${result.offset} is present`)
      assert.equal(record.offset, result.offset)
      assert.equal(record.key, key)
      assert.equal(record.value.toString('utf8'), text)
    }

    // Appends continue after the last offset.
    const next = await reopened.producer().append('SYM-0', value('after restart'))
    assert.equal(next.offset, endBefore[next.partition])
  })

  test('segments roll and replay across them', async () => {
    const log = openLog({ partitions: 1, segmentBytes: 4096 })
    const producer = log.producer()
    const payload = 'x'.repeat(200)
    for (let i = 0; i < 300; i += 1) await producer.append('BTC-USD', value(`${i}:${payload}`))
    await log.close()

    const segmentFiles = (await readdir(join(dir, 'partition-0'))).filter((name) => name.endsWith('.log'))
    assert.ok(segmentFiles.length > 5, `expected several segments, found ${segmentFiles.length}`)

    const reopened = openLog({ partitions: 1, segmentBytes: 4096 })
    for (const start of [0, 1, 17, 150, 299]) {
      const handler = recordingHandler(new Map([[0, BigInt(start)]]))
      const consumer = reopened.consumer(`replay-${start}`)
      const run = consumer.run(handler)
      await handler.waitForCount(300 - start, run)
      await consumer.close()
      await run

      const records: LogRecord[] = handler.delivered.get(0) ?? []
      assert.equal(records.length, 300 - start, `records from ${start}`)
      for (const [i, record] of records.entries()) {
        assert.equal(record.offset, BigInt(start + i))
        assert.equal(record.value.toString('utf8'), `${start + i}:${payload}`)
      }
    }

    const next = await reopened.producer().append('BTC-USD', value('after roll'))
    assert.equal(next.offset, 300n)
  })

  test('values larger than a read chunk', async () => {
    // The scan at open reads 8 MiB chunks and the reader 1 MiB chunks, so these values span several.
    const sizes = [9 * 1024 * 1024, 10, 2 * 1024 * 1024, 1]
    const log = openLog({ partitions: 1 })
    const producer = log.producer()
    for (const [i, size] of sizes.entries()) {
      await producer.append('BTC-USD', Buffer.alloc(size, i + 1))
    }
    await log.close()

    const reopened = openLog({ partitions: 1 })
    assert.deepEqual(await reopened.endOffsets(), [BigInt(sizes.length)])

    const handler = recordingHandler()
    const consumer = reopened.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitForCount(sizes.length, run)
    await consumer.close()
    await run

    const records = handler.delivered.get(0) ?? []
    for (const [i, size] of sizes.entries()) {
      assert.equal(records[i].value.length, size, `size of record ${i}`)
      assert.ok(records[i].value.every((byte) => byte === i + 1), `content of record ${i}`)
    }
  })

  test('replay of many records from the middle', async () => {
    const log = openLog({ partitions: 1, fsync: false })
    const producer = log.producer()
    const count = 20_000
    await Promise.all(Array.from({ length: count }, (_, i) => producer.append('BTC-USD', value(`order-${i}`))))
    await log.close()

    const reopened = openLog({ partitions: 1 })
    const start = 12_345
    const handler = recordingHandler(new Map([[0, BigInt(start)]]))
    const consumer = reopened.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitForCount(count - start, run)
    await consumer.close()
    await run

    const records = handler.delivered.get(0) ?? []
    assert.equal(records.length, count - start)
    assert.equal(records[0].value.toString('utf8'), `order-${start}`)
    assert.equal(records[records.length - 1].offset, BigInt(count - 1))
  })
})
