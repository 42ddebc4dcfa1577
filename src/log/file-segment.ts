/**
 * One segment file of a partition of the embedded log. It contains records
 * with consecutive offsets from the segment's base offset, appended and
 * never rewritten. A sparse in-memory index from offset to file position
 * is rebuilt by the scan at open.
 */

import { open, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'

import { decodeRecord, findIntactRecord } from './file-record.ts'

/** The scan at open reads the file in chunks of this size. */
const SCAN_CHUNK_BYTES = 8 * 1024 * 1024

/** One index entry per this many bytes of records keeps a lookup within one read chunk. */
const INDEX_INTERVAL_BYTES = 64 * 1024

const SEGMENT_SUFFIX = '.log'

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}${SEGMENT_SUFFIX}`
}

/** Returns the base offset encoded in a segment file name, or null for other files. */
export function parseSegmentFileName(name: string): number | null {
  const match = /^(\d{20})\.log$/.exec(name)
  if (match === null) return null

  const baseOffset = Number(match[1])
  return Number.isSafeInteger(baseOffset) ? baseOffset : null
}

export class CorruptSegmentError extends Error {
  readonly path: string
  readonly position: number

  /** `where` names the kind of segment in the message: "sealed segment" or "the last segment". */
  constructor(path: string, position: number, reason: string, where = 'sealed segment') {
    super(
      `corrupt record in ${where} ${path} at byte ${position}: ${reason}. ` +
        'The log stops without changing the file: restore it from a backup, ' +
        'or move the data directory away',
    )
    this.name = 'CorruptSegmentError'
    this.path = path
    this.position = position
  }
}

interface OpenSegmentOptions {
  partition: number
  /** Whether this is the last segment, which may end in a torn write that is truncated away. */
  isLast: boolean
  fsync: boolean
  logger: Logger
}

export class Segment {
  readonly baseOffset: number
  readonly path: string
  /** Bytes of whole, valid records in the file. */
  sizeBytes: number
  /** Offset of the next record, equal to baseOffset while the segment is empty. */
  nextOffset: number

  #handle: FileHandle
  #indexOffsets: number[] = []
  #indexPositions: number[] = []
  #lastIndexedPosition = -INDEX_INTERVAL_BYTES

  private constructor(baseOffset: number, path: string, handle: FileHandle) {
    this.baseOffset = baseOffset
    this.path = path
    this.#handle = handle
    this.sizeBytes = 0
    this.nextOffset = baseOffset
  }

  /** Creates an empty segment file. The caller fsyncs the directory. */
  static async create(dir: string, baseOffset: number): Promise<Segment> {
    const path = join(dir, segmentFileName(baseOffset))
    const handle = await open(path, 'wx+')
    return new Segment(baseOffset, path, handle)
  }

  /**
   * Opens an existing segment and scans it, checking every record's CRC and
   * offset. An invalid tail of the last segment is truncated and logged. An
   * invalid record in any other segment, or one in the last segment with
   * intact records after it, throws CorruptSegmentError.
   */
  static async open(dir: string, baseOffset: number, options: OpenSegmentOptions): Promise<Segment> {
    const path = join(dir, segmentFileName(baseOffset))
    const handle = await open(path, options.isLast ? 'r+' : 'r')
    const segment = new Segment(baseOffset, path, handle)

    try {
      await segment.#scan(options)
    } catch (error) {
      await handle.close()
      throw error
    }

    return segment
  }

  async #scan(options: OpenSegmentOptions): Promise<void> {
    const { size: fileBytes } = await this.#handle.stat()
    let chunk: Buffer = Buffer.alloc(0)
    let chunkStart = 0
    let position = 0
    let invalidReason: string | null = null

    while (position < fileBytes) {
      const result = decodeRecord(chunk, position - chunkStart)

      if (result.status === 'incomplete') {
        const neededBytes = Math.max(SCAN_CHUNK_BYTES, result.sizeBytes ?? 0)
        const available = fileBytes - position
        if ((result.sizeBytes ?? 0) > available || chunkStart + chunk.length >= fileBytes) {
          invalidReason = `torn record: ${available} bytes left at the end of the file`
          break
        }

        chunk = await this.read(position, Math.min(neededBytes, available))
        chunkStart = position
        continue
      }

      if (result.status === 'corrupt') {
        invalidReason = result.reason
        break
      }

      const { record } = result
      if (record.offset !== this.nextOffset) {
        invalidReason = `offset ${record.offset} where ${this.nextOffset} was expected`
        break
      }

      this.addIndexEntry(record.offset, position)
      position += record.sizeBytes
      this.nextOffset = record.offset + 1
    }

    this.sizeBytes = position
    if (invalidReason === null) return

    if (!options.isLast) {
      throw new CorruptSegmentError(this.path, position, invalidReason)
    }

    // A process killed during a write leaves nothing intact after the first
    // bad byte. So intact records after a bad one mean damage, and truncating
    // would silently drop acknowledged records.
    // NOTE: after a power loss, the pages of the last write may persist out of
    // order and leave unacknowledged intact records behind a bad one. The log
    // then stops as well, and the file must be cut by hand.
    const tail = await this.read(position, fileBytes - position)
    const intact = findIntactRecord(tail, 1, this.nextOffset)
    if (intact !== null) {
      const reason = `${invalidReason}, and the intact record of offset ${intact.offset} follows at byte ` +
        `${position + intact.position}, so the file is damaged (or a power loss stored its last write out of order)`
      throw new CorruptSegmentError(this.path, position, reason, 'the last segment')
    }

    options.logger.warn(
      {
        partition: options.partition,
        segment: this.path,
        validBytes: position,
        droppedBytes: fileBytes - position,
        nextOffset: this.nextOffset,
        reason: invalidReason,
      },
      'dropping the invalid tail of the log segment, left by an interrupted write',
    )
    await this.#handle.truncate(position)
    if (options.fsync) await this.#handle.datasync()
  }

  /**
   * Adds the record at `position` to the sparse index, unless the last entry
   * is less than INDEX_INTERVAL_BYTES before it.
   */
  addIndexEntry(offset: number, position: number): void {
    if (position - this.#lastIndexedPosition < INDEX_INTERVAL_BYTES) return

    this.#indexOffsets.push(offset)
    this.#indexPositions.push(position)
    this.#lastIndexedPosition = position
  }

  /**
   * Returns the offset and position of the indexed record nearest before
   * `offset`. The caller reads forward from there. Requires a non-empty
   * segment with baseOffset <= offset.
   */
  lookup(offset: number): { offset: number, position: number } {
    let low = 0
    let high = this.#indexOffsets.length - 1
    while (low < high) {
      const middle = (low + high + 1) >>> 1
      if (this.#indexOffsets[middle] <= offset) low = middle
      else high = middle - 1
    }

    return { offset: this.#indexOffsets[low], position: this.#indexPositions[low] }
  }

  /** Reads `length` bytes at `position`, or fewer at the end of the file. */
  async read(position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length)
    let filled = 0
    while (filled < length) {
      const { bytesRead } = await this.#handle.read(buffer, filled, length - filled, position + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }

    return filled === length ? buffer : buffer.subarray(0, filled)
  }

  /** Writes all of `data` after the valid records. The caller then updates sizeBytes. */
  async write(data: Buffer): Promise<void> {
    let written = 0
    while (written < data.length) {
      const position = this.sizeBytes + written
      const { bytesWritten } = await this.#handle.write(data, written, data.length - written, position)
      written += bytesWritten
    }
  }

  async datasync(): Promise<void> {
    await this.#handle.datasync()
  }

  async close(): Promise<void> {
    await this.#handle.close()
  }
}
