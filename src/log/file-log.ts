/**
 * The embedded command log: a durable, partitioned log in a local
 * directory, used in place of Kafka when the whole system runs in one
 * process. Layout of `dir`:
 *
 *   log.json                   partition count, checked at every open
 *   partition-<p>/<base>.log   segment files of records (see file-record.ts)
 *   groups/<group>.json        committed offsets of a consumer group
 *
 * Appends resolve after the record is written and fsynced (group commit,
 * see FilePartition). Consumers read the files, never an in-memory queue.
 */

import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Logger } from 'pino'

import { FileLogConsumer } from './file-consumer.ts'
import { makeDirectory, writeFileAtomic } from './file-fs.ts'
import { GroupOffsetStore, readGroupOffsets } from './file-offsets.ts'
import { FilePartition } from './file-partition.ts'
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from './file-record.ts'
import { murmur2Partition } from './partitioner.ts'
import type { AppendResult, CommandLog, CommandLogConsumer, CommandLogProducer } from './types.ts'

const META_FILE_VERSION = 1

export interface FileLogOptions {
  dir: string
  partitions: number
  logger: Logger
  /**
   * Fsync every group write (default true). Without it an acknowledged
   * record survives a crash of the process but not of the machine.
   */
  fsync?: boolean
  /** Size in bytes at which a partition starts a new segment file. Default 128 MiB. */
  segmentBytes?: number
  /** Largest batch passed to PartitionHandler.records, in records. Default 500. */
  batchMaxRecords?: number
}

export interface FileLog extends CommandLog {
  readonly dir: string
  /** Returns the offset after the last durable record of each partition, opening the log when needed. */
  endOffsets(): Promise<bigint[]>
  /**
   * Reads the committed offsets of a group by partition, as last written
   * to disk. The map is empty when the group never committed.
   */
  committedOffsets(groupId: string): Promise<Map<number, bigint>>
}

/**
 * Directories opened by a FileLog of this process. A second FileLog on the
 * same directory would interleave appends and corrupt the segments.
 * NOTE: another process opening the same directory is not detected.
 */
const openDirectories = new Set<string>()

type LogState = 'new' | 'open' | 'closing' | 'closed'

/** An append accepted before the files were open. Such appends run in call order right after the open. */
interface StartupAppend {
  partition: number
  keyBytes: Buffer
  value: Buffer
  resolve: (result: Promise<AppendResult>) => void
  reject: (error: unknown) => void
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`invalid ${name} ${value}: expected an integer of at least 1`)
  }
  return value
}

class FileCommandLog implements FileLog {
  readonly dir: string
  readonly partitions: number

  #fsync: boolean
  #segmentBytes: number
  #batchMaxRecords: number
  #logger: Logger
  #state: LogState = 'new'
  #opening: Promise<FilePartition[]> | null = null
  #partitions: FilePartition[] = []
  #startupAppends: StartupAppend[] = []
  #consumers = new Map<string, FileLogConsumer>()
  /** One store per group, so that the writes of successive consumers of a group never overlap. */
  #offsetStores = new Map<string, GroupOffsetStore>()
  #closing: Promise<void> | null = null

  constructor(options: FileLogOptions) {
    this.dir = resolve(options.dir)
    this.partitions = positiveInteger('partition count', options.partitions)
    this.#fsync = options.fsync ?? true
    this.#segmentBytes = positiveInteger('segmentBytes', options.segmentBytes ?? 128 * 1024 * 1024)
    this.#batchMaxRecords = positiveInteger('batchMaxRecords', options.batchMaxRecords ?? 500)
    this.#logger = options.logger.child({ dir: this.dir })
  }

  ensure(): Promise<void> {
    return this.#open().then(() => {})
  }

  /** Opens the log once. After a failed open, the next call tries again. */
  #open(): Promise<FilePartition[]> {
    if (this.#state === 'closing' || this.#state === 'closed') {
      return Promise.reject(new Error(`file log ${this.dir} is closed`))
    }

    this.#opening ??= this.#openFiles().catch((error: unknown) => {
      this.#opening = null
      throw error
    })
    return this.#opening
  }

  async #openFiles(): Promise<FilePartition[]> {
    if (openDirectories.has(this.dir)) {
      throw new Error(
        `file log ${this.dir} is already open in this process; close it before opening it again`,
      )
    }
    openDirectories.add(this.dir)

    try {
      const startedMs = Date.now()
      this.#logger.info({ partitions: this.partitions, fsync: this.#fsync }, 'opening file log')

      await makeDirectory(this.dir, this.#fsync)
      await this.#checkMetaFile()

      const partitions = await Promise.all(
        Array.from({ length: this.partitions }, (_, partition) =>
          FilePartition.open({
            partition,
            dir: join(this.dir, `partition-${partition}`),
            fsync: this.#fsync,
            segmentBytes: this.#segmentBytes,
            logger: this.#logger,
          }),
        ),
      )

      this.#partitions = partitions
      if (this.#state === 'new') this.#state = 'open'
      this.#logger.info(
        { endOffsets: partitions.map((p) => p.endOffset), durationMs: Date.now() - startedMs },
        'file log opened',
      )

      for (const append of this.#startupAppends.splice(0)) {
        append.resolve(this.#appendTo(partitions[append.partition], append.keyBytes, append.value))
      }

      return partitions
    } catch (error) {
      openDirectories.delete(this.dir)
      this.#logger.error({ err: error }, 'opening the file log failed')
      for (const append of this.#startupAppends.splice(0)) append.reject(error)
      throw error
    }
  }

  /**
   * Writes the partition count on first use and rejects a different count
   * later, because the partition of a key depends on it.
   */
  async #checkMetaFile(): Promise<void> {
    const path = join(this.dir, 'log.json')
    let text: string | null = null
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }

    if (text === null) {
      const meta = { version: META_FILE_VERSION, partitions: this.partitions }
      await writeFileAtomic(path, `${JSON.stringify(meta)}\n`, this.#fsync)
      return
    }

    let meta: { version?: unknown, partitions?: unknown }
    try {
      meta = JSON.parse(text) as typeof meta
    } catch {
      throw new Error(`invalid file log metadata ${path}: not JSON`)
    }
    if (meta.version !== META_FILE_VERSION || typeof meta.partitions !== 'number') {
      throw new Error(
        `invalid file log metadata ${path}: expected version ${META_FILE_VERSION} and a partition count`,
      )
    }
    if (meta.partitions !== this.partitions) {
      throw new Error(
        `file log ${this.dir} has ${meta.partitions} partitions ` +
          `but ${this.partitions} were configured; ` +
          'changing the count would move keys to other partitions, so configure ' +
          `${meta.partitions} partitions or use an empty directory`,
      )
    }
  }

  producer(): CommandLogProducer {
    const inFlight = new Set<Promise<AppendResult>>()
    let closed = false

    const append = (key: string, value: Buffer): Promise<AppendResult> => {
      if (closed) return Promise.reject(new Error('producer is closed'))

      const result = this.#append(key, value)
      inFlight.add(result)
      const forget = (): void => {
        inFlight.delete(result)
      }
      result.then(forget, forget)

      return result
    }

    const close = async (): Promise<void> => {
      closed = true
      await Promise.allSettled(inFlight)
    }

    return { append, close }
  }

  #append(key: string, value: Buffer): Promise<AppendResult> {
    if (typeof key !== 'string') {
      return Promise.reject(new TypeError(`invalid key ${String(key)}: expected a string`))
    }
    if (!Buffer.isBuffer(value)) {
      return Promise.reject(new TypeError('invalid value: expected a Buffer'))
    }

    const keyBytes = Buffer.from(key, 'utf8')
    if (keyBytes.length > MAX_KEY_BYTES) {
      return Promise.reject(
        new RangeError(`key of ${keyBytes.length} bytes exceeds the maximum of ${MAX_KEY_BYTES}`),
      )
    }
    if (value.length > MAX_VALUE_BYTES) {
      return Promise.reject(
        new RangeError(`value of ${value.length} bytes exceeds the maximum of ${MAX_VALUE_BYTES}`),
      )
    }

    const partition = murmur2Partition(key, this.partitions)

    // Offsets follow the order of append() calls, also for the calls that wait for the open.
    if (this.#state === 'open') {
      return this.#appendTo(this.#partitions[partition], keyBytes, value)
    }
    if (this.#state !== 'new') {
      return Promise.reject(new Error(`file log ${this.dir} is closed`))
    }

    const { promise, resolve, reject } = Promise.withResolvers<AppendResult>()
    this.#startupAppends.push({ partition, keyBytes, value, resolve, reject })
    // A failed open rejects the queued appends, so its rejection is handled there.
    this.#open().catch(() => {})

    return promise
  }

  async #appendTo(partition: FilePartition, keyBytes: Buffer, value: Buffer): Promise<AppendResult> {
    const offset = await partition.append(keyBytes, value)
    return { partition: partition.partition, offset: BigInt(offset) }
  }

  /**
   * Creates the consumer of a group. Throws when the group already has an
   * open consumer: each consumer owns every partition of the embedded log,
   * so a second one would deliver every record twice.
   */
  consumer(groupId: string): CommandLogConsumer {
    if (typeof groupId !== 'string' || groupId === '') {
      throw new TypeError(
        `invalid consumer group id ${JSON.stringify(groupId)}: expected a non-empty string`,
      )
    }
    if (this.#state === 'closing' || this.#state === 'closed') {
      throw new Error(`file log ${this.dir} is closed`)
    }
    if (this.#consumers.has(groupId)) {
      throw new Error(
        `consumer group "${groupId}" already has an open consumer; the embedded log ` +
          'gives one consumer every partition, so close the first consumer before creating another',
      )
    }

    let offsets = this.#offsetStores.get(groupId)
    if (offsets === undefined) {
      offsets = new GroupOffsetStore(this.dir, groupId, this.#fsync)
      this.#offsetStores.set(groupId, offsets)
    }

    const consumer = new FileLogConsumer({
      groupId,
      open: () => this.#open(),
      offsets,
      batchMaxRecords: this.#batchMaxRecords,
      logger: this.#logger,
      release: () => {
        if (this.#consumers.get(groupId) === consumer) this.#consumers.delete(groupId)
      },
    })
    this.#consumers.set(groupId, consumer)

    return consumer
  }

  /** Rejects when the log is closed, cannot be opened, or a partition stopped accepting appends. */
  async ping(): Promise<void> {
    const partitions = await this.#open()
    const failed = partitions.find((partition) => partition.failure !== null)
    if (failed !== undefined) throw failed.failure
  }

  async endOffsets(): Promise<bigint[]> {
    const partitions = await this.#open()
    return partitions.map((partition) => BigInt(partition.endOffset))
  }

  committedOffsets(groupId: string): Promise<Map<number, bigint>> {
    return readGroupOffsets(this.dir, groupId)
  }

  /**
   * Rejects new appends, settles the ones already queued, closes every
   * consumer (which revokes its partitions), waits for commits in flight
   * and closes the files.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    const wasOpening = this.#opening
    this.#state = 'closing'

    // An open in progress finishes first, so that its files are closed below.
    const partitions = wasOpening === null ? [] : await wasOpening.catch(() => [])

    this.#logger.info('closing file log')
    await Promise.all(partitions.map((partition) => partition.drain()))
    await Promise.all([...this.#consumers.values()].map((consumer) => consumer.close()))
    await Promise.all([...this.#offsetStores.values()].map((store) => store.flush()))
    await Promise.all(partitions.map((partition) => partition.close()))

    if (partitions.length > 0) openDirectories.delete(this.dir)
    this.#state = 'closed'
    this.#logger.info('file log closed')
  }
}

/** Creates the embedded log. ensure() or the first use opens the files. */
export function createFileLog(options: FileLogOptions): FileLog {
  return new FileCommandLog(options)
}
