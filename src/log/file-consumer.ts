/**
 * The consumer of the embedded log. The log runs inside one process, so the
 * one consumer of a group owns every partition: there is no rebalance, and
 * the log rejects a second open consumer of the same group.
 */

import type { Logger } from 'pino'

import type { GroupOffsetStore } from './file-offsets.ts'
import type { FilePartition } from './file-partition.ts'
import type { CommandLogConsumer, LogRecord, PartitionHandler } from './types.ts'

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

export class FileLogConsumer implements CommandLogConsumer {
  #context: FileConsumerContext
  #logger: Logger
  #state: ConsumerState = 'idle'
  #stop = new AbortController()
  /** Settles when run() has stopped delivery and revoked every partition. */
  #stopped: Promise<void> | null = null
  /** The first error of a handler call or a read, which stops the consumer. */
  #failure: unknown = null

  constructor(context: FileConsumerContext) {
    this.#context = context
    this.#logger = context.logger.child({ groupId: context.groupId })
  }

  /**
   * Assigns every partition, then delivers batches of up to batchMaxRecords
   * records until close(). A rejected handler call stops delivery on all
   * partitions, and run() then revokes them and rejects with that error.
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
    const assigned: number[] = []

    try {
      const partitions = await this.#context.open()
      const readers = []
      for (const partition of partitions) {
        if (this.#stop.signal.aborted) break

        const offset = await handler.assigned(partition.partition)
        assigned.push(partition.partition)
        // The catch is attached at once so that a failing partition never leaves an unhandled rejection.
        const delivery = this.#deliver(partition, offset, handler)
        readers.push(delivery.catch((error: unknown) => this.#recordFailure(error)))
      }

      this.#logger.info({ partitions: assigned }, 'file log consumer started')
      await Promise.all(readers)
    } catch (error) {
      this.#logger.error(
        { err: error, partitions: assigned },
        'starting the consumer failed; revoking the assigned partitions',
      )
      this.#recordFailure(error)
    } finally {
      this.#stop.abort()
      await this.#revoke(handler, assigned)
      this.#state = 'closed'
      this.#context.release()
      this.#logger.info({ partitions: assigned }, 'file log consumer stopped')
    }

    if (this.#failure !== null) throw this.#failure
  }

  async #deliver(partition: FilePartition, start: bigint, handler: PartitionHandler): Promise<void> {
    if (typeof start !== 'bigint' || start < 0n || start > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(
        `assigned(${partition.partition}) returned ${String(start)}; ` +
          'expected a non-negative bigint offset',
      )
    }

    const reader = partition.reader(Number(start))
    const signal = this.#stop.signal

    while (!signal.aborted) {
      let batch: LogRecord[]
      try {
        batch = await reader.read(this.#context.batchMaxRecords)
      } catch (error) {
        this.#logger.error(
          { err: error, partition: partition.partition, offset: reader.nextOffset },
          'reading the log failed; stopping the consumer',
        )
        throw error
      }

      if (signal.aborted) break

      if (batch.length === 0) {
        await partition.waitForRecord(reader.nextOffset, signal)
        continue
      }

      try {
        await handler.records(partition.partition, batch)
      } catch (error) {
        this.#logger.error(
          {
            err: error,
            partition: partition.partition,
            firstOffset: batch[0].offset.toString(),
            lastOffset: batch[batch.length - 1].offset.toString(),
          },
          'record handler failed; stopping the consumer',
        )
        throw error
      }
    }
  }

  #recordFailure(error: unknown): void {
    this.#failure ??= error
    this.#stop.abort()
  }

  async #revoke(handler: PartitionHandler, assigned: number[]): Promise<void> {
    for (const partition of assigned) {
      try {
        await handler.revoked(partition)
      } catch (error) {
        this.#logger.error({ err: error, partition }, 'revoking the partition failed')
        this.#failure ??= error
      }
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
