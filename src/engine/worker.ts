/**
 * The engine worker: consumes the command log partition by partition,
 * applies each batch to the partition's matching state, persists the
 * effects, then commits the offset and, now and then, writes a snapshot.
 *
 * Recovery rule: a partition always resumes from its latest snapshot and
 * replays the commands after it. The partition's lease (see
 * PartitionLease) records which of them the store already reflects. Those
 * are applied to the state only, a batch that was in flight is persisted
 * again with the same bounds, and the rest as usual. Store writes are idempotent
 * and version-guarded, so writing a batch twice is harmless.
 *
 * Fencing: taking a partition raises its lease epoch, and each batch first
 * records its range under that epoch with a conditional write. An instance
 * that lost the partition fails that write and stops writing for it.
 */

import type { Logger } from 'pino'
import type { InstrumentRegistry } from '../core/instrument-registry.ts'
import { CommandDecodeError, decodeCommand } from '../log/commands.ts'
import { describeLogEnd, type CommandLog, type CommandLogConsumer, type LogRecord, type PartitionHandler } from '../log/types.ts'
import type { Store } from '../store/types.ts'
import { BatchEffects } from './batch-effects.ts'
import { commandProblem } from './command-checks.ts'
import { InstrumentChangedError, PartitionEngine } from './partition-engine.ts'

export interface EngineWorkerOptions {
  log: CommandLog
  store: Store
  instruments: InstrumentRegistry
  logger: Logger
  groupId: string
  snapshotEveryCommands: number
  /** Upper bound of the wait between two attempts to persist a batch. */
  maxRetryDelayMs?: number
  /**
   * Time in ms that a stop keeps retrying a batch whose writes fail. After
   * it the batch is left to the next owner, which replays it.
   */
  stopDrainMs?: number
  /**
   * Callback for a failure that retrying cannot fix, such as a changed tick
   * size of a traded symbol. The process should stop.
   */
  onFatal?: (error: Error) => void
}

interface PartitionSlot {
  engine: PartitionEngine
  /** Fencing token of this instance's lease on the partition. */
  epoch: number
  /** Every command up to this offset has all its effects persisted. */
  persistedOffset: number
  /**
   * Last offset of a batch that a previous owner began to persist and may
   * have left half done. The replay persists exactly that range as one
   * batch, so it writes the same items with the same versions and no item
   * goes back to an older state. Null once passed.
   */
  replayEnd: number | null
  /** Commands applied but not yet persisted; only held across calls while replaying up to replayEnd. */
  pending: BatchEffects | null
  /** Set when a batch failed after it was applied, so the state is ahead of the store. */
  broken: boolean
  commandsSinceSnapshot: number
  /** Set when the partition is revoked, so that a pending retry stops writing. */
  revoked: boolean
}

const DEFAULT_STOP_DRAIN_MS = 5000

export class PartitionRevokedError extends Error {
  constructor(partition: number) {
    super(`partition ${partition} was revoked`)
    this.name = 'PartitionRevokedError'
  }
}

/** Another instance took the partition's lease with a later epoch. */
export class PartitionFencedError extends Error {
  constructor(partition: number, epoch: number) {
    super(`partition ${partition} is owned by a later epoch than ${epoch}; this instance stopped writing for it`)
    this.name = 'PartitionFencedError'
  }
}

/** The log ends before commands whose effects the store already reflects. */
export class LogBehindStoreError extends Error {
  constructor(partition: number, endOffset: bigint, storedOffset: number) {
    super(
      `partition ${partition} of the log ${describeLogEnd(endOffset)}, but the store reflects commands up to ` +
        `offset ${storedOffset}: ` +
        'the log lost records (a damaged or truncated log directory, or a Kafka topic created again). New ' +
        'commands at those offsets would never be persisted, so the engine stops. Restore the log, or start ' +
        'over with an empty log and an empty store',
    )
    this.name = 'LogBehindStoreError'
  }
}

export class EngineWorker implements PartitionHandler {
  #options: EngineWorkerOptions
  #logger: Logger
  #consumer: CommandLogConsumer | null = null
  #running: Promise<void> | null = null
  #slots = new Map<number, PartitionSlot>()
  #appliedCommands = 0
  #stopping = false
  /** Date.now() after which a stop gives up on a failing batch. */
  #drainDeadlineMs = Infinity
  /** Partitions assigned at least once since start. */
  #everAssigned = new Set<number>()
  #allAssigned = Promise.withResolvers<void>()

  constructor(options: EngineWorkerOptions) {
    this.#options = options
    this.#logger = options.logger
  }

  /** Commands applied since start, for metrics and tests. */
  get appliedCommands(): number {
    return this.#appliedCommands
  }

  /** Partition engines currently owned, for tests and diagnostics. */
  partitionEngine(partition: number): PartitionEngine | undefined {
    return this.#slots.get(partition)?.engine
  }

  /**
   * Resolves once every partition of the log has been assigned to this
   * worker, which checks that the log still contains what the store reflects.
   * Rejects when the consumer stops or a fatal error comes first. Only a log whose partitions all
   * go to one consumer, as the embedded log's do, assigns them all.
   */
  allPartitionsAssigned(): Promise<void> {
    return this.#allAssigned.promise
  }

  start(): void {
    if (this.#consumer !== null) throw new Error('engine worker already started')

    this.#allAssigned = Promise.withResolvers<void>()
    // The handler keeps a rejection that no caller waits for from ending the process.
    this.#allAssigned.promise.catch(() => {})
    this.#everAssigned.clear()
    this.#stopping = false
    this.#drainDeadlineMs = Infinity
    this.#consumer = this.#options.log.consumer(this.#options.groupId)
    this.#logger.info({ groupId: this.#options.groupId }, 'engine worker starting')
    this.#running = this.#consumer.run(this).catch((reason: unknown) => {
      const error = reason instanceof Error ? reason : new Error(String(reason))
      if (this.#stopping) {
        this.#allAssigned.reject(error)
        this.#logger.error({ err: error }, 'engine consumer stopped with an error')
        return
      }

      // Without a consumer the API would go on acknowledging commands that
      // nothing applies, so the process stops.
      this.#fatal(error, {}, 'engine consumer stopped with an error; nothing applies commands')
    })
  }

  /**
   * Drains the in-flight batch, snapshots every owned partition and leaves
   * the group. A batch whose store writes keep failing is retried for
   * stopDrainMs, then left to the next owner, which replays it.
   */
  async stop(): Promise<void> {
    if (this.#consumer === null) return

    this.#stopping = true
    this.#drainDeadlineMs = Date.now() + (this.#options.stopDrainMs ?? DEFAULT_STOP_DRAIN_MS)
    this.#logger.info({ partitions: [...this.#slots.keys()] }, 'engine worker stopping')
    await this.#consumer.close()
    await this.#running
    this.#consumer = null
    this.#logger.info('engine worker stopped')
  }

  async assigned(partition: number, endOffset: bigint): Promise<bigint> {
    const store = this.#options.store
    const stopping = () => this.#stopping
    const lease = await this.#retry(partition, 'acquire partition lease', () => store.acquirePartition(partition), stopping)
    const snapshot = await this.#retry(partition, 'load snapshot', () => store.loadSnapshot(partition), stopping)
    const engine = snapshot === null
      ? new PartitionEngine(partition, this.#options.instruments)
      : this.#restore(partition, snapshot.body)

    // A snapshot is only written once its offset is persisted, so it also
    // bounds the persisted offset from below.
    const persistedOffset = Math.max(lease.fromOffset - 1, engine.lastOffset)
    const replayEnd = lease.toOffset > persistedOffset ? lease.toOffset : null

    // Commands up to the lease's last offset may have effects in the store.
    // Were the log shorter, the new commands at those offsets would count as
    // already persisted and never be written.
    // TODO: store the Kafka topic's id with the lease and compare it, since a
    // topic created again that has grown past this offset passes the check.
    const storedOffset = Math.max(persistedOffset, lease.toOffset)
    if (BigInt(storedOffset) >= endOffset) {
      const error = new LogBehindStoreError(partition, endOffset, storedOffset)
      this.#fatal(error, { partition, endOffset: Number(endOffset), storedOffset }, 'the log is missing commands the store reflects')
      throw error
    }

    this.#slots.set(partition, {
      engine,
      epoch: lease.epoch,
      persistedOffset,
      replayEnd,
      pending: null,
      broken: false,
      commandsSinceSnapshot: 0,
      revoked: false,
    })
    this.#logger.info(
      {
        partition,
        epoch: lease.epoch,
        snapshotOffset: snapshot?.offset ?? null,
        persistedOffset,
        replayEnd,
        resumeOffset: engine.lastOffset + 1,
      },
      'partition assigned',
    )
    this.#everAssigned.add(partition)
    if (this.#everAssigned.size === this.#options.log.partitions) this.#allAssigned.resolve()
    return BigInt(engine.lastOffset + 1)
  }

  async records(partition: number, batch: LogRecord[]): Promise<void> {
    const slot = this.#slots.get(partition)
    if (slot === undefined) throw new Error(`records for partition ${partition}, which is not assigned`)
    if (slot.broken) throw new Error(`partition ${partition} must be assigned again after a failed batch`)

    try {
      await this.#applyBatch(slot, batch)
    } catch (error) {
      slot.broken = true
      throw error
    }
  }

  #restore(partition: number, body: string): PartitionEngine {
    try {
      return PartitionEngine.restore(body, this.#options.instruments)
    } catch (error) {
      if (error instanceof InstrumentChangedError) {
        // Retrying cannot help: the partition would stay stuck while the
        // process looks healthy, so the process stops instead.
        this.#fatal(error, { partition }, 'configuration conflicts with the stored book')
      }
      throw error
    }
  }

  /** Logs an error that retrying cannot fix, fails allPartitionsAssigned and reports it through onFatal. */
  #fatal(error: Error, ids: Record<string, unknown>, message: string): void {
    this.#logger.fatal({ err: error, ...ids }, message)
    this.#allAssigned.reject(error)
    this.#options.onFatal?.(error)
  }

  async revoked(partition: number): Promise<void> {
    const slot = this.#slots.get(partition)
    if (slot === undefined) return

    slot.revoked = true
    this.#slots.delete(partition)

    // A state ahead of the store must not become a snapshot: the next owner
    // would skip the commands whose effects were never persisted.
    const clean = !slot.broken && slot.pending === null
    if (clean && slot.commandsSinceSnapshot > 0) await this.#snapshot(slot)
    this.#logger.info(
      { partition, lastOffset: slot.engine.lastOffset, persistedOffset: slot.persistedOffset, clean },
      'partition revoked',
    )
  }

  /**
   * Applies the records in offset order. Commands the store already
   * reflects are applied to the state only. The others are persisted as
   * one batch, or cut at replayEnd while a previous owner's batch is replayed.
   */
  async #applyBatch(slot: PartitionSlot, batch: LogRecord[]): Promise<void> {
    const engine = slot.engine
    const fresh: LogRecord[] = []
    const replayed = new BatchEffects(engine.partition)

    for (const record of batch) {
      const offset = Number(record.offset)
      if (offset <= engine.lastOffset) continue
      if (offset > slot.persistedOffset) {
        fresh.push(record)
        continue
      }
      this.#applyRecord(engine, record, offset, replayed)
    }

    // Forget the orders that left the book before any later command runs:
    // release() judges by the current state, and a later fill could make an
    // order that is still needed look inactive.
    if (replayed.commands > 0) {
      engine.release(replayed)
      slot.commandsSinceSnapshot += replayed.commands
      this.#appliedCommands += replayed.commands
    }

    for (const record of fresh) {
      const offset = Number(record.offset)
      if (slot.replayEnd !== null && offset > slot.replayEnd) {
        // The replayed batch ended in a gap of offsets.
        await this.#flush(slot)
        slot.replayEnd = null
      }

      slot.pending ??= new BatchEffects(engine.partition)
      this.#applyRecord(engine, record, offset, slot.pending)

      if (offset === slot.replayEnd) {
        await this.#flush(slot)
        slot.replayEnd = null
      }
    }

    if (slot.replayEnd === null) await this.#flush(slot)
  }

  /** Persists the pending batch under the lease, then commits and maybe snapshots. */
  async #flush(slot: PartitionSlot): Promise<void> {
    const effects = slot.pending
    if (effects === null || effects.commands === 0) return

    await this.#persist(slot, effects)
    slot.pending = null
    slot.persistedOffset = effects.lastOffset
    slot.engine.release(effects)
    slot.commandsSinceSnapshot += effects.commands
    this.#appliedCommands += effects.commands

    await this.#commit(slot.engine.partition, effects.lastOffset)
    if (slot.commandsSinceSnapshot >= this.#options.snapshotEveryCommands) {
      await this.#snapshot(slot)
    }
  }

  #applyRecord(engine: PartitionEngine, record: LogRecord, offset: number, effects: BatchEffects): void {
    const partition = engine.partition
    let reason: string | undefined
    let orderId: string | undefined

    try {
      const command = decodeCommand(record.value)
      const problem = commandProblem(command)
      if (problem !== undefined) throw new CommandDecodeError(problem)

      const outcome = engine.apply(offset, command, effects)
      reason = outcome.deadLetterReason
      orderId = outcome.orderId
      if (reason === undefined && outcome.code !== 'ok') {
        this.#logger.info({ partition, offset, orderId: outcome.orderId, code: outcome.code }, 'command rejected')
      }
    } catch (error) {
      if (!(error instanceof CommandDecodeError)) throw error
      engine.skip(offset, effects)
      reason = error.reason
    }

    if (reason === undefined) return
    this.#logger.warn({ partition, offset, key: record.key, orderId, reason }, 'command dead-lettered')
    effects.addDeadLetter({
      partition,
      offset,
      key: record.key,
      valueBase64: record.value.toString('base64'),
      reason,
      timestamp: new Date(record.timestampMs).toISOString(),
    })
  }

  async #persist(slot: PartitionSlot, effects: BatchEffects): Promise<void> {
    const partition = slot.engine.partition
    const store = this.#options.store
    const built = effects.build(slot.engine)
    const stop = () => slot.revoked || (this.#stopping && Date.now() >= this.#drainDeadlineMs)

    await this.#retry(partition, 'begin batch', async () => {
      if (slot.revoked) throw new PartitionRevokedError(partition)
      const owned = await store.beginBatch(partition, slot.epoch, effects.firstOffset, effects.lastOffset)
      if (!owned) {
        this.#logger.warn({ partition, epoch: slot.epoch, offset: effects.firstOffset }, 'partition fenced')
        throw new PartitionFencedError(partition, slot.epoch)
      }
    }, stop)

    await this.#retry(partition, 'persist batch', async () => {
      if (slot.revoked) throw new PartitionRevokedError(partition)
      for (const letter of effects.deadLetters) await store.putDeadLetter(letter)
      await store.persist(built)
    }, stop)
  }

  async #commit(partition: number, lastOffset: number): Promise<void> {
    try {
      await this.#consumer?.commit(partition, BigInt(lastOffset + 1))
    } catch (error) {
      // A lost commit costs a longer replay, never correctness: recovery
      // starts from the snapshot, not from the committed offset.
      this.#logger.warn({ err: error, partition, offset: lastOffset + 1 }, 'offset commit failed')
    }
  }

  async #snapshot(slot: PartitionSlot): Promise<void> {
    const partition = slot.engine.partition
    const offset = slot.engine.lastOffset
    try {
      await this.#options.store.saveSnapshot({ partition, offset, body: slot.engine.snapshotBody() })
      slot.commandsSinceSnapshot = 0
      this.#logger.info({ partition, offset }, 'snapshot written')
    } catch (error) {
      this.#logger.warn({ err: error, partition, offset }, 'snapshot failed; the next batch tries again')
    }
  }

  /** Retries `action` with capped exponential backoff and jitter until it succeeds or `stop()` is true. */
  async #retry<T>(partition: number, what: string, action: () => Promise<T>, stop = () => false): Promise<T> {
    const maxDelayMs = this.#options.maxRetryDelayMs ?? 5000
    for (let attempt = 1; ; attempt++) {
      try {
        return await action()
      } catch (error) {
        if (error instanceof PartitionRevokedError || error instanceof PartitionFencedError) throw error
        if (stop()) {
          this.#logger.warn({ err: error, partition, attempt }, `${what} failed during shutdown and is not retried`)
          throw error
        }

        const backoffMs = Math.min(maxDelayMs, 100 * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() / 2)
        // A stop waits for the batch, so a retry sleeps no later than its deadline.
        const delayMs = Math.max(0, Math.min(backoffMs, this.#drainDeadlineMs - Date.now()))
        this.#logger.warn({ err: error, partition, attempt, delayMs: Math.round(delayMs) }, `${what} failed; retrying`)
        await new Promise((resolve) => setTimeout(resolve, delayMs))
      }
    }
  }
}
