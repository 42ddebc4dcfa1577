import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'

import type { LogRecord, PartitionHandler } from '../../../src/log/types.ts'

/** Creates a logger that is silent unless LOG_LEVEL is set, because several tests provoke errors on purpose. */
export function testLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? 'silent' })
}

/** Creates an empty directory under the system temp dir and returns it with its cleanup. */
export async function makeTempDir(): Promise<{ dir: string, cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'file-log-test-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export interface RecordingHandler extends PartitionHandler {
  /** Delivered records per partition, in delivery order. */
  delivered: Map<number, LogRecord[]>
  batches: { partition: number, size: number }[]
  assignedPartitions: number[]
  revokedPartitions: number[]
  /**
   * Resolves once `count` records in total have been delivered. Rejects if
   * `run` (the consumer's run() promise) settles first, so a failed
   * consumer fails the test instead of hanging it.
   */
  waitForCount(count: number, run: Promise<void>): Promise<void>
}

/**
 * Returns a handler that records what it receives. `startOffsets` is
 * returned by assigned(), 0 for partitions it does not list.
 */
export function recordingHandler(startOffsets: Map<number, bigint> = new Map()): RecordingHandler {
  const delivered = new Map<number, LogRecord[]>()
  const waiters: { count: number, resolve: () => void }[] = []
  let total = 0

  const handler: RecordingHandler = {
    delivered: delivered,
    batches: [],
    assignedPartitions: [],
    revokedPartitions: [],

    async assigned(partition) {
      handler.assignedPartitions.push(partition)
      return startOffsets.get(partition) ?? 0n
    },

    async records(partition, batch) {
      handler.batches.push({ partition, size: batch.length })
      const list = delivered.get(partition) ?? []
      list.push(...batch)
      delivered.set(partition, list)
      total += batch.length

      for (const waiter of [...waiters]) {
        if (total >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve()
        }
      }
    },

    async revoked(partition) {
      handler.revokedPartitions.push(partition)
    },

    waitForCount(count, run) {
      if (total >= count) return Promise.resolve()

      const { promise, resolve } = Promise.withResolvers<void>()
      waiters.push({ count, resolve })
      const runEnded = run.then(
        () => {
          throw new Error(`run() ended after ${total} of ${count} records`)
        },
        (error: unknown) => {
          throw new Error(`run() failed after ${total} of ${count} records`, { cause: error })
        },
      )

      return Promise.race([promise, runEnded])
    },
  }

  return handler
}
