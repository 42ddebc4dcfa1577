import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, test } from 'node:test'

import { pino, type Logger } from 'pino'

import { createFileLog, type FileLog, type FileLogOptions } from '../../../src/log/file-log.ts'
import { murmur2Partition } from '../../../src/log/partitioner.ts'
import type { LogRecord, PartitionHandler } from '../../../src/log/types.ts'
import { makeTempDir, testLogger } from './helpers.ts'

/** Guards against a hang: a consumer that never recovers fails the test instead of blocking the run. */
const TEST_TIMEOUT_MS = 30_000

let dir: string
let cleanup: () => Promise<void>
const openLogs: FileLog[] = []

function openLog(options: Partial<FileLogOptions> = {}): FileLog {
  const log = createFileLog({ dir, partitions: 1, logger: testLogger(), ...options })
  openLogs.push(log)
  return log
}

/** Returns a key that the murmur2 partitioner maps to `partition`. */
function keyOf(partition: number, partitions: number): string {
  for (let i = 0; ; i++) {
    const key = `SYM${i}`
    if (murmur2Partition(key, partitions) === partition) return key
  }
}

async function appendValues(log: FileLog, key: string, count: number): Promise<void> {
  const producer = log.producer()
  for (let i = 0; i < count; i++) await producer.append(key, Buffer.from(`v${i}`))
}

/** Collects the JSON lines a pino logger writes, to check what a retry logs. */
function capturingLogger(): { logger: Logger, lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>)
      done()
    },
  })
  return { logger: pino({ level: 'error' }, stream), lines }
}

interface HandlerCall {
  call: 'assigned' | 'records' | 'revoked'
  partition: number
  /** The offset assigned() returned, or the first offset of the batch. */
  offset?: bigint
  failed?: boolean
}

/**
 * A handler that keeps the next offset to process per partition, like the
 * engine does with its snapshots: assigned() returns it, and records()
 * moves it past a batch only when the batch succeeds.
 */
class ResumingHandler implements PartitionHandler {
  readonly calls: HandlerCall[] = []
  readonly processed = new Map<number, bigint[]>()
  readonly nextOffsets = new Map<number, bigint>()
  /** Number of the next assigned() or records() calls per partition that reject. */
  readonly failAssigned = new Map<number, number>()
  readonly failRecords = new Map<number, number>()
  /** Only batches that start at or after this offset fail. */
  failRecordsFrom = 0n
  #waiters: { done: () => boolean, resolve: () => void }[] = []

  async assigned(partition: number): Promise<bigint> {
    if (this.#takeFailure(this.failAssigned, partition)) {
      this.#record({ call: 'assigned', partition, failed: true })
      throw new Error(`snapshot of partition ${partition} unavailable`)
    }

    const offset = this.nextOffsets.get(partition) ?? 0n
    this.#record({ call: 'assigned', partition, offset })
    return offset
  }

  async records(partition: number, batch: LogRecord[]): Promise<void> {
    if (batch[0].offset >= this.failRecordsFrom && this.#takeFailure(this.failRecords, partition)) {
      this.#record({ call: 'records', partition, offset: batch[0].offset, failed: true })
      throw new Error(`store write for partition ${partition} failed`)
    }

    const list = this.processed.get(partition) ?? []
    list.push(...batch.map((record) => record.offset))
    this.processed.set(partition, list)
    this.nextOffsets.set(partition, batch[batch.length - 1].offset + 1n)
    this.#record({ call: 'records', partition, offset: batch[0].offset })
  }

  async revoked(partition: number): Promise<void> {
    this.#record({ call: 'revoked', partition })
  }

  /** Resolves once `done` returns true after some call; rejects if `run` settles first. */
  waitUntil(done: () => boolean, run: Promise<void>): Promise<void> {
    if (done()) return Promise.resolve()

    const { promise, resolve } = Promise.withResolvers<void>()
    this.#waiters.push({ done, resolve })
    const runEnded = run.then(
      () => {
        throw new Error('run() ended before the condition held')
      },
      (error: unknown) => {
        throw new Error('run() failed before the condition held', { cause: error })
      },
    )
    return Promise.race([promise, runEnded])
  }

  callsOf(partition: number): string[] {
    return this.calls
      .filter((call) => call.partition === partition)
      .map(({ call, offset, failed }) => `${call}${offset === undefined ? '' : ` ${offset}`}${failed ? ' failed' : ''}`)
  }

  #takeFailure(failures: Map<number, number>, partition: number): boolean {
    const left = failures.get(partition) ?? 0
    if (left === 0) return false
    failures.set(partition, left - 1)
    return true
  }

  #record(call: HandlerCall): void {
    this.calls.push(call)
    for (const waiter of [...this.#waiters]) {
      if (!waiter.done()) continue
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
      waiter.resolve()
    }
  }
}

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir())
})

afterEach(async () => {
  await Promise.all(openLogs.splice(0).map((log) => log.close()))
  await cleanup()
})

describe('file log consumer after a handler failure', { timeout: TEST_TIMEOUT_MS }, () => {
  test('failed batch resumes at assigned offset', async () => {
    const { logger, lines } = capturingLogger()
    const log = openLog({ batchMaxRecords: 2, logger })
    await appendValues(log, 'BTC-USD', 5)

    const handler = new ResumingHandler()
    handler.failRecords.set(0, 3)
    handler.failRecordsFrom = 2n
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitUntil(() => handler.nextOffsets.get(0) === 5n, run)

    await consumer.close()
    await run
    assert.deepEqual(handler.processed.get(0), [0n, 1n, 2n, 3n, 4n])
    assert.deepEqual(handler.callsOf(0), [
      'assigned 0',
      'records 0',
      'records 2 failed',
      'revoked',
      'assigned 2',
      'records 2 failed',
      'revoked',
      'assigned 2',
      'records 2 failed',
      'revoked',
      'assigned 2',
      'records 2',
      'records 4',
      'revoked',
    ])

    const retries = lines.filter((line) => String(line.msg).startsWith('records handler failed'))
    assert.deepEqual(retries.map((line) => line.attempt), [1, 2, 3])
    assert.deepEqual(retries.map((line) => line.partition), [0, 0, 0])
    assert.deepEqual(retries.map((line) => line.firstOffset), ['2', '2', '2'])
    for (const line of retries) assert.equal(typeof line.delayMs, 'number')
  })

  test('failed assigned retried', async () => {
    const { logger, lines } = capturingLogger()
    const log = openLog({ logger })
    await appendValues(log, 'BTC-USD', 3)

    const handler = new ResumingHandler()
    handler.failAssigned.set(0, 2)
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitUntil(() => handler.nextOffsets.get(0) === 3n, run)

    await consumer.close()
    await run
    assert.deepEqual(handler.processed.get(0), [0n, 1n, 2n])
    // A partition whose assigned() failed was never assigned, so it is not revoked.
    assert.deepEqual(handler.callsOf(0), ['assigned failed', 'assigned failed', 'assigned 0', 'records 0', 'revoked'])

    const retries = lines.filter((line) => String(line.msg).startsWith('assigned handler failed'))
    assert.deepEqual(retries.map((line) => line.attempt), [1, 2])
    assert.deepEqual(retries.map((line) => line.partition), [0, 0])
  })

  test('other partitions keep delivering', async () => {
    const partitions = 2
    const log = openLog({ partitions })
    const failingKey = keyOf(0, partitions)
    const healthyKey = keyOf(1, partitions)
    await appendValues(log, failingKey, 2)

    const handler = new ResumingHandler()
    handler.failRecords.set(0, Number.MAX_SAFE_INTEGER)
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)
    const failedBatches = () => handler.calls.filter((call) => call.partition === 0 && call.failed).length
    await handler.waitUntil(() => failedBatches() >= 2, run)

    // Appended while partition 0 keeps failing: partition 1 still gets them.
    await appendValues(log, healthyKey, 4)
    await handler.waitUntil(() => handler.nextOffsets.get(1) === 4n, run)
    assert.equal(handler.processed.get(0), undefined, 'partition 0 processed nothing while failing')
    assert.deepEqual(handler.processed.get(1), [0n, 1n, 2n, 3n])
    assert.deepEqual(handler.callsOf(1).slice(0, 1), ['assigned 0'], 'partition 1 was assigned once')
    assert.equal(handler.callsOf(1).filter((call) => call === 'revoked').length, 0, 'partition 1 was never revoked')

    handler.failRecords.set(0, 0)
    await handler.waitUntil(() => handler.nextOffsets.get(0) === 2n, run)
    await consumer.close()
    await run
    assert.deepEqual(handler.processed.get(0), [0n, 1n])
  })

  test('close stops a partition in backoff', async () => {
    const log = openLog({ partitions: 2 })
    await appendValues(log, keyOf(0, 2), 1)

    const handler = new ResumingHandler()
    handler.failRecords.set(0, Number.MAX_SAFE_INTEGER)
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitUntil(() => handler.callsOf(0).includes('revoked'), run)

    await consumer.close()
    await run
    for (const partition of [0, 1]) {
      const calls = handler.callsOf(partition)
      const assigned = calls.filter((call) => call.startsWith('assigned')).length
      const revoked = calls.filter((call) => call === 'revoked').length
      assert.equal(revoked, assigned, `partition ${partition}: every assignment revoked (${calls.join(', ')})`)
      assert.equal(calls.at(-1), 'revoked', `partition ${partition}: revoked last`)
    }

    const callsAfterClose = handler.calls.length
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(handler.calls.length, callsAfterClose, 'no handler call after close()')
  })

  test('failed revoked does not stop retries', async () => {
    const log = openLog()
    await appendValues(log, 'BTC-USD', 1)

    const handler = new ResumingHandler()
    handler.failRecords.set(0, 1)
    let revokeFailures = 1
    const revoked = handler.revoked.bind(handler)
    handler.revoked = async (partition) => {
      await revoked(partition)
      if (revokeFailures-- > 0) throw new Error('snapshot write failed')
    }
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)
    await handler.waitUntil(() => handler.nextOffsets.get(0) === 1n, run)

    await consumer.close()
    await run
    assert.deepEqual(handler.callsOf(0), ['assigned 0', 'records 0 failed', 'revoked', 'assigned 0', 'records 0', 'revoked'])
  })
})

describe('file log consumer when the log ends before the handler', { timeout: TEST_TIMEOUT_MS }, () => {
  test('resume past the end stops the consumer', async () => {
    const log = openLog()
    await log.ensure()
    await appendValues(log, keyOf(0, 1), 3)

    // The handler processed offsets 0 to 4, but the log contains 0 to 2 only.
    const handler = new ResumingHandler()
    handler.nextOffsets.set(0, 5n)
    const consumer = log.consumer('engine')

    await assert.rejects(consumer.run(handler), (error: Error) => {
      assert.equal(error.name, 'LogBehindHandlerError')
      assert.match(error.message, /partition 0 of the log has records up to offset 2, but the handler has processed it up to offset 4/)
      return true
    })
    assert.deepEqual(handler.callsOf(0), ['assigned 5', 'revoked'])
  })

  test('resume at the end waits for records', async () => {
    const log = openLog()
    await log.ensure()
    const key = keyOf(0, 1)
    await appendValues(log, key, 3)

    const handler = new ResumingHandler()
    handler.nextOffsets.set(0, 3n)
    const consumer = log.consumer('engine')
    const run = consumer.run(handler)

    await log.producer().append(key, Buffer.from('after'))
    await handler.waitUntil(() => handler.processed.get(0)?.length === 1, run)
    assert.deepEqual(handler.processed.get(0), [3n])

    await consumer.close()
    await run
  })
})
