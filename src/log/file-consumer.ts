/**
 * The consumer of the embedded log. The log runs inside one process, so the
 * one consumer of a group owns every partition: there is no rebalance, and
 * the log rejects a second open consumer of the same group.
 *
 * A failed handler call is treated the way the Kafka consumer treats it: the
 * consumer revokes that partition alone, waits a backoff with jitter, calls
 * `assigned` again and resumes at the offset it returns, while the other
 * partitions keep going. A failed read of the log and an invalid offset from
 * `assigned` stop every partition instead, because retrying cannot fix them.
 */

import { setTimeout as sleep } from 'node:timers/promises'

import type { Logger } from 'pino'

import type { GroupOffsetStore } from './file-offsets.ts'
import type { FilePartition } from './file-partition.ts'
import { describeLogEnd, type CommandLogConsumer, type PartitionHandler } from './types.ts'

export interface FileConsumerContext {
  groupId: string
  /** Opens the log when needed and returns its partitions. */
  open(): Promise<FilePartition[]>
  offsets: GroupOffsetStore
  batchMaxRecords: number
  logger: Logger
  /** Frees the group name for another consumer. The consumer calls it once, when it closes. */
  release(): void
}

type ConsumerState = 'idle' | 'running' | 'closed'

/**
 * The handler resumes past the end of the log: records it already processed
 * are gone, and the records appended at their offsets would be skipped.
 */
export class LogBehindHandlerError extends Error {
  constructor(partition: number, resumeOffset: bigint, endOffset: bigint) {
    super(
      `partition ${partition} of the log ${describeLogEnd(endOffset)}, but the handler has processed it ` +
        `up to offset ${resumeOffset - 1n}: records it processed are missing from the log (a damaged, ` +
        'truncated or replaced log directory). New records at those offsets would be skipped, so the ' +
        'consumer stops. Restore the log from a backup, or move the data directory away to start empty',
    )
    this.name = 'LogBehindHandlerError'
  }
}

/** Backoff before the n-th consecutive retry of a partition: doubles from the base up to the cap, in ms. */
const RETRY_BASE_DELAY_MS = 100
const RETRY_MAX_DELAY_MS = 5000

/** Progress of one partition's delivery loop. */
interface PartitionRun {
  partition: number
  /** True after `assigned` resolved and until `revoked` is called. */
  assigned: boolean
  /** Consecutive failed handler calls, reset by every successful `records` call. */
  failures: number
  /** Offset of the next record to read, for error logs. */
  nextOffset: number | null
}

/** A rejected `assigned` or `records` call, after which the partition is assigned again. */
interface HandlerFailure {
  call: 'assigned' | 'records'
  error: unknown
  firstOffset?: string
  lastOffset?: string
}

export class FileLogConsumer implements CommandLogConsumer {
  #context: FileConsumerContext
  #logger: Logger
  #state: ConsumerState = 'idle'
  #stop = new AbortController()
  /** Settles when run() has stopped delivery and revoked every partition. */
  #stopped: Promise<void> | null = null
  /** The first error that stops the consumer: opening or reading the log, an invalid offset, a failed final revoke. */
  #failure: unknown = null

  constructor(context: FileConsumerContext) {
    this.#context = context
    this.#logger = context.logger.child({ groupId: context.groupId })
  }

  /**
   * Assigns every partition, then delivers batches of up to batchMaxRecords
   * records until close(), and resolves once every partition is revoked. A
   * rejected handler call revokes and later reassigns its partition only. A
   * failed log read or an invalid offset from `assigned` stops delivery on
   * all partitions, and run() then rejects with that error.
   */
  run(handler: PartitionHandler): Promise<void> {
    if (this.#state !== 'idle') {
      const groupId = this.#context.groupId
      return Promise.reject(new Error(`consumer of group "${groupId}" is ${this.#state}; create a new one`))
    }

    this.#state = 'running'
    const run = this.#run(handler)
    this.#stopped = run.then(
      () => {},
      () => {},
    )

    return run
  }

  async #run(handler: PartitionHandler): Promise<void> {
    let runs: PartitionRun[] = []

    try {
      const opened = await this.#context.open()
      runs = opened.map((partition) => ({ partition: partition.partition, assigned: false, failures: 0, nextOffset: null }))
      this.#logger.info({ partitions: runs.map((run) => run.partition) }, 'file log consumer started')
      await Promise.all(opened.map((partition, index) => this.#consume(partition, handler, runs[index])))
    } catch (error) {
      this.#logger.error({ err: error }, 'opening the log failed; stopping the consumer')
      this.#recordFailure(error)
    } finally {
      this.#stop.abort()
      // In partition order, once no partition delivers any more.
      for (const run of runs) {
        const error = await this.#revoke(handler, run)
        if (error !== undefined) this.#failure ??= error
      }
      this.#state = 'closed'
      this.#context.release()
      this.#logger.info({ partitions: runs.map((run) => run.partition) }, 'file log consumer stopped')
    }

    if (this.#failure !== null) throw this.#failure
  }

  /**
   * Runs one partition until close() or an error that stops the consumer.
   * After a failed handler call the partition is revoked and assigned again
   * after a backoff, because the handler's state after a failed call is
   * unknown. Never rejects, and leaves the final revoke to run().
   */
  async #consume(partition: FilePartition, handler: PartitionHandler, run: PartitionRun): Promise<void> {
    const signal = this.#stop.signal

    try {
      while (!signal.aborted) {
        const failure = await this.#deliver(partition, handler, run)
        if (failure === null) break

        run.failures++
        const delayMs = retryDelayMs(run.failures)
        this.#logger.error(
          {
            err: failure.error,
            partition: run.partition,
            attempt: run.failures,
            delayMs,
            firstOffset: failure.firstOffset,
            lastOffset: failure.lastOffset,
          },
          failure.call === 'records'
            ? 'records handler failed; revoking the partition and assigning it again after a delay'
            : 'assigned handler failed; assigning the partition again after a delay',
        )
        await this.#revoke(handler, run)
        // The sleep rejects with an AbortError when close() aborts it.
        await sleep(delayMs, undefined, { signal }).catch(() => {})
      }
    } catch (error) {
      this.#logger.error(
        { err: error, partition: run.partition, offset: run.nextOffset },
        'consuming the partition failed; stopping the consumer',
      )
      this.#recordFailure(error)
    }
  }

  /**
   * Assigns the partition and delivers its batches. Returns the handler call
   * that failed, or null once close() stopped delivery. Throws when the
   * offset from `assigned` is invalid or the log cannot be read.
   */
  async #deliver(partition: FilePartition, handler: PartitionHandler, run: PartitionRun): Promise<HandlerFailure | null> {
    const endOffset = BigInt(partition.endOffset)
    let start: bigint
    try {
      start = await handler.assigned(run.partition, endOffset)
    } catch (error) {
      return { call: 'assigned', error }
    }
    run.assigned = true

    if (typeof start !== 'bigint' || start < 0n || start > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(
        `assigned(${run.partition}) returned ${String(start)}; ` +
          'expected a non-negative bigint offset',
      )
    }

    if (start > endOffset) throw new LogBehindHandlerError(run.partition, start, endOffset)

    run.nextOffset = Number(start)
    const reader = partition.reader(run.nextOffset)
    const signal = this.#stop.signal

    while (!signal.aborted) {
      const batch = await reader.read(this.#context.batchMaxRecords)
      run.nextOffset = reader.nextOffset
      if (signal.aborted) break

      if (batch.length === 0) {
        await partition.waitForRecord(reader.nextOffset, signal)
        continue
      }

      try {
        await handler.records(run.partition, batch)
      } catch (error) {
        const firstOffset = batch[0].offset.toString()
        const lastOffset = batch[batch.length - 1].offset.toString()
        return { call: 'records', error, firstOffset, lastOffset }
      }
      run.failures = 0
    }

    return null
  }

  #recordFailure(error: unknown): void {
    this.#failure ??= error
    this.#stop.abort()
  }

  /** Calls `revoked` when the partition is assigned. Returns the error of a failed call, after logging it. */
  async #revoke(handler: PartitionHandler, run: PartitionRun): Promise<unknown> {
    if (!run.assigned) return undefined
    run.assigned = false

    try {
      await handler.revoked(run.partition)
      return undefined
    } catch (error) {
      this.#logger.error({ err: error, partition: run.partition }, 'revoking the partition failed')
      return error ?? new Error(`revoked(${run.partition}) rejected without a reason`)
    }
  }

  /** Stores the next offset to process for the partition, durably (see GroupOffsetStore.commit). */
  async commit(partition: number, nextOffset: bigint): Promise<void> {
    if (this.#state === 'closed') {
      throw new Error(`consumer of group "${this.#context.groupId}" is closed; commit before close()`)
    }

    const partitions = await this.#context.open()
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitions.length) {
      const last = partitions.length - 1
      throw new RangeError(`invalid partition ${partition}: the log has partitions 0 to ${last}`)
    }
    if (typeof nextOffset !== 'bigint' || nextOffset < 0n) {
      throw new RangeError(
        `invalid offset ${String(nextOffset)} for partition ${partition}: expected a non-negative bigint`,
      )
    }

    await this.#context.offsets.commit(partition, nextOffset)
  }

  /** Stops delivery, waits for the batch in flight, revokes every assigned partition. */
  async close(): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'closed'
      this.#context.release()
      return
    }

    this.#stop.abort()
    await this.#stopped
  }
}

/** Backoff before the n-th consecutive retry (n ≥ 1), with jitter between half and all of it, in ms. */
function retryDelayMs(failures: number): number {
  const capMs = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** Math.min(failures - 1, 16))
  return Math.round(capMs * (0.5 + Math.random() / 2))
}
