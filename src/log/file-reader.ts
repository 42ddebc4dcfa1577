/**
 * A sequential reader of one partition of the embedded log. It reads the
 * segment files in chunks of 1 MiB and decodes batches from the last chunk,
 * so small batches do not cost one file read each.
 */

import type { FilePartition } from './file-partition.ts'
import { decodeRecord, type DecodeResult } from './file-record.ts'
import type { Segment } from './file-segment.ts'
import type { LogRecord } from './types.ts'

const READ_CHUNK_BYTES = 1024 * 1024

export class PartitionReader {
  #partition: FilePartition
  /** Offset of the next record to return. */
  #nextOffset: number
  #segmentIndex = 0
  /** File position of the next record to decode, or -1 until the reader is placed in a segment. */
  #position = -1
  /** Bytes already read from the current segment, starting at file position #chunkStart. */
  #chunk: Buffer = Buffer.alloc(0)
  #chunkStart = 0

  constructor(partition: FilePartition, offset: number) {
    this.#partition = partition
    this.#nextOffset = offset
  }

  get nextOffset(): number {
    return this.#nextOffset
  }

  /**
   * Returns up to `maxRecords` durable records from the next offset on, in
   * offset order, or an empty array when the reader is at the end. The record
   * values are views into a read chunk, which stays unchanged.
   */
  async read(maxRecords: number): Promise<LogRecord[]> {
    const records: LogRecord[] = []

    while (records.length < maxRecords && this.#nextOffset < this.#partition.endOffset) {
      if (this.#position < 0) this.#locate()

      const segment = this.#partition.segments[this.#segmentIndex]
      const readableBytes = this.#partition.readableBytes(this.#segmentIndex)
      if (this.#position >= readableBytes) {
        // The segment is exhausted while durable records remain, so a later segment contains them.
        this.#segmentIndex += 1
        this.#position = 0
        this.#chunk = Buffer.alloc(0)
        this.#chunkStart = 0
        continue
      }

      let result = decodeRecord(this.#chunk, this.#position - this.#chunkStart)
      if (result.status === 'incomplete') {
        result = await this.#readChunk(segment, readableBytes, READ_CHUNK_BYTES)
      }
      // A record larger than a chunk shows its size in the first read, and a second read fetches all of it.
      if (result.status === 'incomplete' && result.sizeBytes !== null) {
        result = await this.#readChunk(segment, readableBytes, result.sizeBytes)
      }

      if (result.status !== 'ok') {
        const reason = result.status === 'corrupt'
          ? result.reason
          : 'record extends past the durable end'
        throw new Error(`reading ${segment.path} at byte ${this.#position} failed: ${reason}`)
      }

      const { record } = result
      if (record.offset > this.#nextOffset) {
        throw new Error(
          `reading ${segment.path} at byte ${this.#position} failed: ` +
            `found offset ${record.offset} where ${this.#nextOffset} was expected`,
        )
      }

      this.#position += record.sizeBytes

      // Reading starts at an index entry, so records before the requested offset are skipped.
      if (record.offset < this.#nextOffset) continue

      records.push({
        partition: this.#partition.partition,
        offset: BigInt(record.offset),
        key: record.key,
        value: record.value,
        timestampMs: record.timestampMs,
      })
      this.#nextOffset += 1
    }

    return records
  }

  /** Reads up to `length` bytes from the reader's position into a new chunk and decodes its first record. */
  async #readChunk(segment: Segment, readableBytes: number, length: number): Promise<DecodeResult> {
    this.#chunk = await segment.read(this.#position, Math.min(length, readableBytes - this.#position))
    this.#chunkStart = this.#position
    return decodeRecord(this.#chunk, 0)
  }

  /** Places the reader at the indexed record nearest before the next offset. */
  #locate(): void {
    const segments = this.#partition.segments
    let low = 0
    let high = segments.length - 1
    while (low < high) {
      const middle = (low + high + 1) >>> 1
      if (segments[middle].baseOffset <= this.#nextOffset) low = middle
      else high = middle - 1
    }

    this.#segmentIndex = low
    this.#position = segments[low].lookup(this.#nextOffset).position
    this.#chunk = Buffer.alloc(0)
    this.#chunkStart = 0
  }
}
