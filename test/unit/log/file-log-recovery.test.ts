import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, readFile, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, beforeEach, describe, test } from 'node:test'

import { createFileLog, type FileLog } from '../../../src/log/file-log.ts'
import type { LogRecord } from '../../../src/log/types.ts'
import { makeTempDir, recordingHandler, testLogger } from './helpers.ts'

/** Guards against a hang: a test that waits for records fails after this instead of blocking the run. */
const TEST_TIMEOUT_MS = 120_000
const FIRST_SEGMENT = '00000000000000000000.log'

let dir: string
let cleanup: () => Promise<void>
const openLogs: FileLog[] = []

function openLog(partitions = 1, segmentBytes?: number): FileLog {
  const log = createFileLog({ dir, partitions, logger: testLogger(), segmentBytes })
  openLogs.push(log)
  return log
}

function segmentPath(partition: number, name = FIRST_SEGMENT): string {
  return join(dir, `partition-${partition}`, name)
}

/** Writes `count` records with values `v0`, `v1`, ... to partition 0 of a one-partition log and closes it. */
async function writeRecords(count: number, segmentBytes?: number): Promise<void> {
  const log = openLog(1, segmentBytes)
  const producer = log.producer()
  for (let i = 0; i < count; i += 1) await producer.append('BTC-USD', Buffer.from(`v${i}`))
  await log.close()
}

/** Reads every record of every partition through a consumer. */
async function readAll(log: FileLog): Promise<Map<number, LogRecord[]>> {
  const endOffsets = await log.endOffsets()
  const total = endOffsets.reduce((sum, offset) => sum + Number(offset), 0)

  const handler = recordingHandler()
  const consumer = log.consumer(`read-all-${Date.now()}-${Math.random()}`)
  const run = consumer.run(handler)
  await handler.waitForCount(total, run)
  await consumer.close()
  await run

  return handler.delivered
}

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir())
})

afterEach(async () => {
  await Promise.all(openLogs.splice(0).map((log) => log.close()))
  await cleanup()
})

describe('file log torn tail', { timeout: TEST_TIMEOUT_MS }, () => {
  const tornTails: [string, (path: string) => Promise<void>][] = [
    ['garbage appended', (path) => appendFile(path, Buffer.from('not a record at all, just noise'))],
    ['zero-filled tail', (path) => appendFile(path, Buffer.alloc(4096))],
    ['partial header', (path) => appendFile(path, Buffer.from([0x20, 0x00, 0x00]))],
    [
      'header claims a huge body',
      (path) => appendFile(path, Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8])),
    ],
  ]

  for (const [name, damage] of tornTails) {
    test(`${name} dropped`, async () => {
      await writeRecords(10)
      const validBytes = (await stat(segmentPath(0))).size
      await damage(segmentPath(0))

      const log = openLog()
      assert.deepEqual(await log.endOffsets(), [10n])
      assert.equal((await stat(segmentPath(0))).size, validBytes, 'file truncated to the valid records')

      const next = await log.producer().append('BTC-USD', Buffer.from('v10'))
      assert.equal(next.offset, 10n)

      const records = (await readAll(log)).get(0) ?? []
      assert.deepEqual(
        records.map((record) => record.value.toString('utf8')),
        Array.from({ length: 11 }, (_, i) => `v${i}`),
      )
    })
  }

  test('record cut mid-write dropped', async () => {
    await writeRecords(10)
    const size = (await stat(segmentPath(0))).size
    await truncate(segmentPath(0), size - 5)

    const log = openLog()
    assert.deepEqual(await log.endOffsets(), [9n])

    const next = await log.producer().append('BTC-USD', Buffer.from('replacement'))
    assert.equal(next.offset, 9n)

    const records = (await readAll(log)).get(0) ?? []
    assert.equal(records.length, 10)
    assert.equal(records[8].value.toString('utf8'), 'v8')
    assert.equal(records[9].value.toString('utf8'), 'replacement')
  })

  test('flipped byte fails the CRC', async () => {
    await writeRecords(10)
    const bytes = await readFile(segmentPath(0))
    bytes[bytes.length - 1] ^= 0xff
    await writeFile(segmentPath(0), bytes)

    const log = openLog()
    assert.deepEqual(await log.endOffsets(), [9n])
  })

  test('corrupt sealed segment rejected', async () => {
    await writeRecords(100, 512)
    // Later segments exist, so the first one is sealed. Damage its first record.
    const bytes = await readFile(segmentPath(0))
    bytes[12] ^= 0xff
    await writeFile(segmentPath(0), bytes)

    const log = openLog(1, 512)
    await assert.rejects(log.ensure(), /corrupt record in sealed segment/)
  })

  test('damage before intact records rejected, file kept', async () => {
    await writeRecords(10)
    const bytes = await readFile(segmentPath(0))
    // A byte of the fourth record's value: its CRC fails, records 4 to 9 stay intact.
    const recordBytes = bytes.length / 10
    bytes[3 * recordBytes + recordBytes - 1] ^= 0xff
    await writeFile(segmentPath(0), bytes)

    const log = openLog()
    await assert.rejects(
      log.ensure(),
      /corrupt record in the last segment .* CRC-32 mismatch, and the intact record of offset 4 follows/,
    )
    assert.equal((await stat(segmentPath(0))).size, bytes.length, 'nothing truncated')
  })
})

interface Acknowledged {
  partition: number
  offset: bigint
  text: string
}

/**
 * Starts the append loop in a child process, collects the acknowledged
 * appends it prints, and kills it with SIGKILL after `killAfter` of them.
 */
async function appendUntilKilled(partitions: number, killAfter: number): Promise<Acknowledged[]> {
  const fixture = join(import.meta.dirname, 'fixtures', 'append-loop.ts')
  const child = spawn(process.execPath, [fixture, dir, String(partitions), '64'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? code))
  })

  const acknowledged: Acknowledged[] = []
  const lines = createInterface({ input: child.stdout })
  for await (const line of lines) {
    const [partition, offset, text] = line.split(' ')
    // A line cut off by the kill lacks its text, so it is not counted.
    if (text === undefined) continue

    acknowledged.push({ partition: Number(partition), offset: BigInt(offset), text })
    if (acknowledged.length === killAfter) child.kill('SIGKILL')
  }

  assert.equal(await exited, 'SIGKILL', 'the append loop ran until it was killed')
  return acknowledged
}

describe('file log crash', { timeout: TEST_TIMEOUT_MS }, () => {
  test('SIGKILL loses no acknowledged append', async () => {
    const partitions = 3
    const acknowledged: Acknowledged[] = []

    // Each round reopens the directory the previous round was killed in, so recovery runs between rounds.
    for (let round = 0; round < 3; round += 1) {
      acknowledged.push(...(await appendUntilKilled(partitions, 3000)))
    }

    const log = openLog(partitions)
    const delivered = await readAll(log)

    for (const { partition, offset, text } of acknowledged) {
      const record = delivered.get(partition)?.[Number(offset)]
      assert.ok(record !== undefined, `acknowledged record ${partition}/${offset} is present`)
      assert.equal(record.offset, offset)
      assert.equal(record.value.toString('utf8'), text, `value of ${partition}/${offset}`)
    }

    // Every delivered record is one the child appended, in order of its loop counter per key.
    for (const records of delivered.values()) {
      const lastByLoop = new Map<string, number>()
      for (const record of records) {
        const match = /^loop-(\d+)-(\d+)$/.exec(record.value.toString('utf8'))
        assert.ok(match !== null, `record ${record.partition}/${record.offset} has an appended value`)
        const [, loop, counter] = match
        const key = `${loop}`
        assert.ok(Number(counter) > (lastByLoop.get(key) ?? -1) || Number(counter) === 0, `order of loop ${loop}`)
        lastByLoop.set(key, Number(counter))
      }
    }
  })
})
