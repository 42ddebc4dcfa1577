/**
 * One partition of the embedded log: a directory of segment files, the
 * group-commit writer that appends to the last segment, and the wait list
 * of readers that have caught up with it.
 */

import { readdir } from 'node:fs/promises'
import type { Logger } from 'pino'

import { fsyncDirectory, makeDirectory } from './file-fs.ts'
import { encodedSize, encodeRecord } from './file-record.ts'
import { parseSegmentFileName, Segment } from './file-segment.ts'
import { PartitionReader } from './file-reader.ts'

/** Upper bound of one group write in bytes. Pending appends past it wait for the next group. */
const GROUP_MAX_BYTES = 8 * 1024 * 1024

export interface PartitionOptions {
  partition: number
  dir: string
  fsync: boolean
  /** A segment that has reached this size is closed for appends and a new one started. */
  segmentBytes: number
  logger: Logger
}

interface PendingAppend {
  offset: number
  timestampMs: number
  keyBytes: Buffer
  value: Buffer
  resolve: (offset: number) => void
  reject: (error: Error) => void
}

interface Waiter {
  offset: number
  resolve: () => void
}

export class FilePartition {
  readonly partition: number

  #options: PartitionOptions
  #logger: Logger
  /**
   * Segments sorted by base offset. The last one receives appends, and each keeps its file open.
   * TODO: add retention. The log keeps every record forever and one open file handle per segment.
   */
  #segments: Segment[]
  /** Offset for the next append, ahead of #durableNextOffset while groups are in flight. */
  #nextOffset: number
  /** Records below this offset are written (and fsynced when enabled) and may be read. */
  #durableNextOffset: number
  /** Readable byte length of the last segment. Its bytes past this point are not durable yet. */
  #durableBytes: number
  #pending: PendingAppend[] = []
  #flushing = false
  #idleWaiters: (() => void)[] = []
  #waiters = new Set<Waiter>()
  #failure: Error | null = null
  #closed = false

  private constructor(options: PartitionOptions, segments: Segment[]) {
    this.partition = options.partition
    this.#options = options
    this.#logger = options.logger
    this.#segments = segments

    const last = segments[segments.length - 1]
    this.#nextOffset = last.nextOffset
    this.#durableNextOffset = last.nextOffset
    this.#durableBytes = last.sizeBytes
  }

  /**
   * Opens the partition directory, creating it with an empty first segment
   * when absent, and scans every segment (see Segment.open).
   */
  static async open(options: PartitionOptions): Promise<FilePartition> {
    await makeDirectory(options.dir, options.fsync)

    const names = await readdir(options.dir)
    const baseOffsets = names
      .map(parseSegmentFileName)
      .filter((baseOffset) => baseOffset !== null)
      .sort((a, b) => a - b)

    const segments: Segment[] = []
    try {
      if (baseOffsets.length === 0) {
        segments.push(await Segment.create(options.dir, 0))
        if (options.fsync) await fsyncDirectory(options.dir)
      }

      for (const [i, baseOffset] of baseOffsets.entries()) {
        const segment = await Segment.open(options.dir, baseOffset, {
          partition: options.partition,
          isLast: i === baseOffsets.length - 1,
          fsync: options.fsync,
          logger: options.logger,
        })
        segments.push(segment)

        const previous = segments[segments.length - 2]
        if (previous !== undefined && previous.nextOffset !== segment.baseOffset) {
          throw new Error(
            `segment ${segment.path} starts at offset ${segment.baseOffset} but the previous segment ` +
              `ends before offset ${previous.nextOffset}; a segment file is missing or damaged`,
          )
        }
      }
    } catch (error) {
      await Promise.allSettled(segments.map((segment) => segment.close()))
      throw error
    }

    return new FilePartition(options, segments)
  }

  get logStartOffset(): number {
    return this.#segments[0].baseOffset
  }

  /** Offset after the last durable record: the next offset a reader waits for. */
  get endOffset(): number {
    return this.#durableNextOffset
  }

  /** The write or fsync error that stopped appends, or null while the partition is healthy. */
  get failure(): Error | null {
    return this.#failure
  }

  /**
   * Assigns the next offset and queues the record for the next group write.
   * Resolves with the offset once the group is written and, when enabled,
   * fsynced.
   */
  append(keyBytes: Buffer, value: Buffer): Promise<number> {
    if (this.#closed) {
      return Promise.reject(new Error(`partition ${this.partition} of the file log is closed`))
    }
    if (this.#failure !== null) return Promise.reject(this.#failure)

    const { promise, resolve, reject } = Promise.withResolvers<number>()
    this.#pending.push({
      offset: this.#nextOffset,
      timestampMs: Date.now(),
      keyBytes,
      value,
      resolve,
      reject,
    })
    this.#nextOffset += 1

    if (!this.#flushing) {
      this.#flushing = true
      void this.#flushLoop()
    }

    return promise
  }

  /** Resolves once every append queued so far is settled. */
  drain(): Promise<void> {
    if (!this.#flushing) return Promise.resolve()

    const { promise, resolve } = Promise.withResolvers<void>()
    this.#idleWaiters.push(resolve)
    return promise
  }

  /**
   * Writes the pending appends in groups: one write and one fdatasync per
   * group, so appends that arrive during an fsync share the next one.
   * It never rejects, because a failure rejects the appends instead.
   */
  async #flushLoop(): Promise<void> {
    while (this.#pending.length > 0 && this.#failure === null) {
      const group = this.#takeGroup()
      try {
        await this.#writeGroup(group)
      } catch (error) {
        this.#fail(error, group)
        break
      }

      for (const append of group) append.resolve(append.offset)
      this.#notifyWaiters()
    }

    this.#flushing = false
    for (const resolve of this.#idleWaiters.splice(0)) resolve()
  }

  #takeGroup(): PendingAppend[] {
    let groupBytes = 0
    let count = 0
    while (count < this.#pending.length) {
      const append = this.#pending[count]
      groupBytes += encodedSize(append.keyBytes, append.value)
      if (count > 0 && groupBytes > GROUP_MAX_BYTES) break
      count += 1
    }

    return this.#pending.splice(0, count)
  }

  async #writeGroup(group: PendingAppend[]): Promise<void> {
    let segment = this.#segments[this.#segments.length - 1]
    if (segment.sizeBytes >= this.#options.segmentBytes) {
      segment = await this.#roll(segment)
    }

    let groupBytes = 0
    for (const append of group) groupBytes += encodedSize(append.keyBytes, append.value)

    const data = Buffer.allocUnsafe(groupBytes)
    let position = 0
    for (const append of group) {
      segment.addIndexEntry(append.offset, segment.sizeBytes + position)
      const { offset, timestampMs, keyBytes, value } = append
      position = encodeRecord(data, position, offset, timestampMs, keyBytes, value)
    }

    await segment.write(data)
    if (this.#options.fsync) await segment.datasync()

    segment.sizeBytes += groupBytes
    segment.nextOffset = group[group.length - 1].offset + 1
    this.#durableBytes = segment.sizeBytes
    this.#durableNextOffset = segment.nextOffset
  }

  /** Starts a new segment at the current end. The full one stays open for readers. */
  async #roll(full: Segment): Promise<Segment> {
    const segment = await Segment.create(this.#options.dir, full.nextOffset)
    if (this.#options.fsync) await fsyncDirectory(this.#options.dir)

    this.#segments.push(segment)
    this.#durableBytes = 0
    this.#logger.info(
      { partition: this.partition, segment: segment.path, baseOffset: segment.baseOffset },
      'started a new log segment',
    )

    return segment
  }

  /**
   * Stops appends for good after a failed write or fsync. After a failed
   * fsync the page cache may no longer match the disk, so retrying could
   * acknowledge records that are lost. A restart rescans the files instead.
   */
  #fail(error: unknown, group: PendingAppend[]): void {
    const message = error instanceof Error ? error.message : String(error)
    this.#failure = new Error(
      `partition ${this.partition} of the file log stopped accepting appends ` +
        `after a failed write: ${message}; restart the process to recover the log from disk`,
      { cause: error },
    )
    this.#logger.error(
      { err: error, partition: this.partition, firstOffset: group[0].offset, records: group.length },
      'file log write failed; rejecting pending appends',
    )

    for (const append of group) append.reject(this.#failure)
    for (const append of this.#pending.splice(0)) append.reject(this.#failure)
  }

  /** Creates a reader positioned at `offset`, which may lie beyond the current end. */
  reader(offset: number): PartitionReader {
    if (offset < this.logStartOffset) {
      throw new RangeError(
        `offset ${offset} of partition ${this.partition} is before ` +
          `the first offset ${this.logStartOffset} in the log`,
      )
    }

    return new PartitionReader(this, offset)
  }

  /** Segments in offset order, for readers. The array grows when the writer starts a new segment. */
  get segments(): readonly Segment[] {
    return this.#segments
  }

  /** Bytes of the segment at `index` that a reader may decode. */
  readableBytes(index: number): number {
    const isLast = index === this.#segments.length - 1
    return isLast ? this.#durableBytes : this.#segments[index].sizeBytes
  }

  /**
   * Resolves once the record at `offset` is durable, or when `signal`
   * aborts or the partition closes. The caller checks which one happened.
   */
  waitForRecord(offset: number, signal: AbortSignal): Promise<void> {
    if (offset < this.#durableNextOffset || signal.aborted) return Promise.resolve()

    const { promise, resolve } = Promise.withResolvers<void>()
    const onAbort = (): void => {
      this.#waiters.delete(waiter)
      resolve()
    }
    const waiter: Waiter = {
      offset,
      resolve: () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      },
    }
    this.#waiters.add(waiter)
    signal.addEventListener('abort', onAbort, { once: true })

    return promise
  }

  #notifyWaiters(): void {
    for (const waiter of this.#waiters) {
      if (waiter.offset < this.#durableNextOffset) {
        this.#waiters.delete(waiter)
        waiter.resolve()
      }
    }
  }

  /** Settles queued appends, wakes every waiting reader and closes the segment files. */
  async close(): Promise<void> {
    this.#closed = true
    await this.drain()

    for (const waiter of this.#waiters) waiter.resolve()
    this.#waiters.clear()

    await Promise.all(this.#segments.map((segment) => segment.close()))
  }
}
