/**
 * The engine worker: consumes the command log partition by partition,
 * applies each batch to the partition's matching state, persists the
 * effects, then commits the offset and, now and then, writes a snapshot.
 *
 * Recovery rule: a partition always resumes from its latest snapshot and
 * replays the commands after it. Store writes are idempotent and
 * version-guarded, so replaying commands whose effects were already
 * persisted rewrites the same items and never regresses one.
 */

import type { Logger } from 'pino'
import type { InstrumentRegistry } from '../core/instrument-registry.ts'
import { CommandDecodeError, decodeCommand } from '../log/commands.ts'
import type { CommandLog, CommandLogConsumer, LogRecord, PartitionHandler } from '../log/types.ts'
import type { Store } from '../store/types.ts'
import { BatchEffects } from './batch-effects.ts'
import { PartitionEngine } from './partition-engine.ts'

export interface EngineWorkerOptions {
  log: CommandLog
  store: Store
  instruments: InstrumentRegistry
  logger: Logger
  groupId: string
  snapshotEveryCommands: number
  /** Upper bound of the wait between two attempts to persist a batch. */
  maxRetryDelayMs?: number
}

interface PartitionSlot {
  engine: PartitionEngine
  commandsSinceSnapshot: number
  /** Set when the partition is revoked, so that a pending retry stops writing. */
  revoked: boolean
}

export class PartitionRevokedError extends Error {
  constructor(partition: number) {
    super(`partition ${partition} was revoked`)
    this.name = 'PartitionRevokedError'
  }
}

export class EngineWorker implements PartitionHandler {
  #options: EngineWorkerOptions
  #logger: Logger
  #consumer: CommandLogConsumer | null = null
  #running: Promise<void> | null = null
  #slots = new Map<number, PartitionSlot>()
  #appliedCommands = 0

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

  start(): void {
    if (this.#consumer !== null) throw new Error('engine worker already started')

    this.#consumer = this.#options.log.consumer(this.#options.groupId)
    this.#logger.info({ groupId: this.#options.groupId }, 'engine worker starting')
    this.#running = this.#consumer.run(this).catch((error: unknown) => {
      this.#logger.error({ err: error }, 'engine consumer stopped with an error')
      throw error
    })
  }

  /** Drains the in-flight batch, snapshots every owned partition and leaves the group. */
  async stop(): Promise<void> {
    if (this.#consumer === null) return

    this.#logger.info({ partitions: [...this.#slots.keys()] }, 'engine worker stopping')
    await this.#consumer.close()
    await this.#running?.catch(() => undefined)
    this.#consumer = null
    this.#logger.info('engine worker stopped')
  }

  async assigned(partition: number): Promise<bigint> {
    const snapshot = await this.#retry(partition, 'load snapshot', () => this.#options.store.loadSnapshot(partition))
    const engine = snapshot === null
      ? new PartitionEngine(partition, this.#options.instruments)
      : PartitionEngine.restore(snapshot.body, this.#options.instruments)

    this.#slots.set(partition, { engine, commandsSinceSnapshot: 0, revoked: false })
    this.#logger.info(
      { partition, snapshotOffset: snapshot?.offset ?? null, resumeOffset: engine.lastOffset + 1 },
      'partition assigned',
    )
    return BigInt(engine.lastOffset + 1)
  }

  async records(partition: number, batch: LogRecord[]): Promise<void> {
    const slot = this.#slots.get(partition)
    if (slot === undefined) throw new Error(`records for partition ${partition}, which is not assigned`)

    const effects = new BatchEffects(partition)
    for (const record of batch) {
      const offset = Number(record.offset)
      if (offset <= slot.engine.lastOffset) continue
      this.#applyRecord(slot.engine, record, offset, effects)
    }
    if (effects.commands === 0) return

    await this.#persist(slot, effects)
    slot.engine.release(effects)
    slot.commandsSinceSnapshot += effects.commands
    this.#appliedCommands += effects.commands

    await this.#commit(partition, effects.lastOffset)
    if (slot.commandsSinceSnapshot >= this.#options.snapshotEveryCommands) {
      await this.#snapshot(slot)
    }
  }

  async revoked(partition: number): Promise<void> {
    const slot = this.#slots.get(partition)
    if (slot === undefined) return

    slot.revoked = true
    if (slot.commandsSinceSnapshot > 0) await this.#snapshot(slot)
    this.#slots.delete(partition)
    this.#logger.info({ partition, lastOffset: slot.engine.lastOffset }, 'partition revoked')
  }

  #applyRecord(engine: PartitionEngine, record: LogRecord, offset: number, effects: BatchEffects): void {
    const partition = engine.partition
    let reason: string | undefined

    try {
      const outcome = engine.apply(offset, decodeCommand(record.value), effects)
      reason = outcome.deadLetterReason
      if (reason === undefined && outcome.code !== 'ok') {
        this.#logger.info({ partition, offset, orderId: outcome.orderId, code: outcome.code }, 'command rejected')
      }
    } catch (error) {
      if (!(error instanceof CommandDecodeError)) throw error
      engine.skip(offset, effects)
      reason = error.reason
    }

    if (reason === undefined) return
    this.#logger.warn({ partition, offset, key: record.key, reason }, 'command dead-lettered')
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
    const built = effects.build(slot.engine)

    await this.#retry(partition, 'persist batch', async () => {
      if (slot.revoked) throw new PartitionRevokedError(partition)
      for (const letter of effects.deadLetters) await this.#options.store.putDeadLetter(letter)
      await this.#options.store.persist(built)
    }, () => slot.revoked)
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
        if (error instanceof PartitionRevokedError || stop()) throw error

        const delayMs = Math.min(maxDelayMs, 100 * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() / 2)
        this.#logger.warn({ err: error, partition, attempt, delayMs: Math.round(delayMs) }, `${what} failed; retrying`)
        await new Promise((resolve) => setTimeout(resolve, delayMs))
      }
    }
  }
}
