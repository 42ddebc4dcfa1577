/**
 * Measures the embedded file log: append throughput with fsync, awaiting
 * each append in turn and with 100 appends in flight, then the time to
 * reopen (scan) and replay a large log.
 *
 * Usage: node test/unit/log/bench-file-log.ts [SEQUENTIAL_COUNT] [CONCURRENT_COUNT] [REPLAY_COUNT]
 * Defaults: 2000, 50000, 1000000. Uses a temp dir under the system temp dir.
 */

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'

import { createFileLog, type FileLog } from '../../../src/log/file-log.ts'
import type { PartitionHandler } from '../../../src/log/types.ts'

const [sequentialCount = 2000, concurrentCount = 50_000, replayCount = 1_000_000] = process.argv
  .slice(2)
  .map(Number)

const logger = pino({ level: 'warn' })
// A 248-byte JSON new-order command, shaped like the commands the API appends.
const value = Buffer.from(JSON.stringify({
  v: 1,
  kind: 'new',
  id: '018f6c1e-7d3a-7b2c-9f1e-2a3b4c5d6e7f',
  clientId: 'client-1',
  symbol: 'BTC-USD',
  side: 'buy',
  type: 'limit',
  price: '64123.50',
  quantity: '0.125',
  timeInForce: 'GTC',
  timestamp: '2024-05-01T12:00:00.000Z',
  source: 'orders',
}))
const symbols = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'XRP-USD', 'DOT-USD']

function report(name: string, count: number, startedNs: bigint): void {
  const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9
  console.log(`${name}: ${count} records in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} records/s`)
}

async function withLog(fsync: boolean, body: (log: FileLog, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'file-log-bench-'))
  const log = createFileLog({ dir, partitions: 3, logger, fsync })
  try {
    await log.ensure()
    await body(log, dir)
  } finally {
    await log.close()
    await rm(dir, { recursive: true, force: true })
  }
}

async function appendSequentially(log: FileLog, count: number): Promise<void> {
  const producer = log.producer()
  for (let i = 0; i < count; i += 1) await producer.append(symbols[i % symbols.length], value)
}

async function appendConcurrently(log: FileLog, count: number, inFlight: number): Promise<void> {
  const producer = log.producer()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next
      next += 1
      await producer.append(symbols[i % symbols.length], value)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
}

for (const fsync of [true, false]) {
  await withLog(fsync, async (log) => {
    const started = process.hrtime.bigint()
    await appendSequentially(log, sequentialCount)
    report(`append, sequential awaits, fsync ${fsync ? 'on' : 'off'}`, sequentialCount, started)
  })

  await withLog(fsync, async (log) => {
    const started = process.hrtime.bigint()
    await appendConcurrently(log, concurrentCount, 100)
    report(`append, 100 concurrent, fsync ${fsync ? 'on' : 'off'}`, concurrentCount, started)
  })
}

// Replay: fill a log, reopen it (which scans every record), and read it all through a consumer.
await withLog(true, async (log, dir) => {
  let started = process.hrtime.bigint()
  await appendConcurrently(log, replayCount, 1000)
  report('fill, 1000 concurrent, fsync on', replayCount, started)
  await log.close()

  const reopened = createFileLog({ dir, partitions: 3, logger, fsync: true })
  started = process.hrtime.bigint()
  await reopened.ensure()
  report('reopen (scan and index)', replayCount, started)

  let delivered = 0
  const done = Promise.withResolvers<void>()
  const handler: PartitionHandler = {
    assigned: async () => 0n,
    records: async (_partition, batch) => {
      delivered += batch.length
      if (delivered === replayCount) done.resolve()
    },
    revoked: async () => {},
  }
  started = process.hrtime.bigint()
  const consumer = reopened.consumer('bench')
  const run = consumer.run(handler)
  await done.promise
  report('replay from offset 0', replayCount, started)
  await consumer.close()
  await run
  await reopened.close()
})
