/**
 * The on-disk record format of the embedded command log. All integers are
 * little-endian.
 *
 *   0  u32  body length in bytes (everything after this 8-byte header)
 *   4  u32  CRC-32 (zlib) of the body
 *   8  u8   format version, 1
 *   9  u64  offset
 *  17  u64  timestamp, milliseconds since the epoch
 *  25  u16  key length in bytes
 *  27  key (UTF-8), then the value up to the end of the body
 */

import { crc32 } from 'node:zlib'

export const RECORD_VERSION = 1
export const HEADER_BYTES = 8
const FIXED_BODY_BYTES = 19
export const RECORD_OVERHEAD_BYTES = HEADER_BYTES + FIXED_BODY_BYTES
export const MAX_KEY_BYTES = 0xffff

/**
 * Largest accepted value. A body length past this bound marks a corrupt
 * header, which lets recovery reject garbage without reading that far.
 */
export const MAX_VALUE_BYTES = 64 * 1024 * 1024
const MAX_BODY_BYTES = FIXED_BODY_BYTES + MAX_KEY_BYTES + MAX_VALUE_BYTES

export interface DecodedRecord {
  offset: number
  timestampMs: number
  key: string
  /** A view into the buffer that was decoded, not a copy. */
  value: Buffer
  /** Size of the whole record in the file, header included. */
  sizeBytes: number
}

export type DecodeResult =
  | { status: 'ok', record: DecodedRecord }
  /** The buffer ends inside the record. `sizeBytes` is null until the header is complete. */
  | { status: 'incomplete', sizeBytes: number | null }
  | { status: 'corrupt', reason: string }

const TWO_TO_32 = 2 ** 32

function writeUint64(buffer: Buffer, value: number, position: number): void {
  buffer.writeUInt32LE(value % TWO_TO_32, position)
  buffer.writeUInt32LE(Math.floor(value / TWO_TO_32), position + 4)
}

function readUint64(buffer: Buffer, position: number): number {
  const high = buffer.readUInt32LE(position + 4)
  return high * TWO_TO_32 + buffer.readUInt32LE(position)
}

export function encodedSize(keyBytes: Buffer, value: Buffer): number {
  return RECORD_OVERHEAD_BYTES + keyBytes.length + value.length
}

/**
 * Writes one record into `target` at `position` and returns the position
 * after it. The caller sizes `target` with encodedSize().
 */
export function encodeRecord(
  target: Buffer,
  position: number,
  offset: number,
  timestampMs: number,
  keyBytes: Buffer,
  value: Buffer,
): number {
  const bodyStart = position + HEADER_BYTES
  const bodyLength = FIXED_BODY_BYTES + keyBytes.length + value.length

  target.writeUInt8(RECORD_VERSION, bodyStart)
  writeUint64(target, offset, bodyStart + 1)
  writeUint64(target, timestampMs, bodyStart + 9)
  target.writeUInt16LE(keyBytes.length, bodyStart + 17)
  keyBytes.copy(target, bodyStart + FIXED_BODY_BYTES)
  value.copy(target, bodyStart + FIXED_BODY_BYTES + keyBytes.length)

  const body = target.subarray(bodyStart, bodyStart + bodyLength)
  target.writeUInt32LE(bodyLength, position)
  target.writeUInt32LE(crc32(body), position + 4)

  return bodyStart + bodyLength
}

/**
 * Decodes the record that starts at `position`. Reports `incomplete` when
 * `buffer` ends first, so the caller can read more or, at the end of a
 * file, treat the bytes as a torn write.
 */
export function decodeRecord(buffer: Buffer, position: number): DecodeResult {
  if (buffer.length - position < HEADER_BYTES) {
    return { status: 'incomplete', sizeBytes: null }
  }

  const bodyLength = buffer.readUInt32LE(position)
  if (bodyLength < FIXED_BODY_BYTES || bodyLength > MAX_BODY_BYTES) {
    return { status: 'corrupt', reason: `invalid body length ${bodyLength}` }
  }

  const sizeBytes = HEADER_BYTES + bodyLength
  if (buffer.length - position < sizeBytes) {
    return { status: 'incomplete', sizeBytes }
  }

  const bodyStart = position + HEADER_BYTES
  const body = buffer.subarray(bodyStart, bodyStart + bodyLength)
  const expectedCrc = buffer.readUInt32LE(position + 4)
  if (crc32(body) !== expectedCrc) {
    return { status: 'corrupt', reason: 'CRC-32 mismatch' }
  }

  const version = body.readUInt8(0)
  if (version !== RECORD_VERSION) {
    return { status: 'corrupt', reason: `unknown record version ${version}` }
  }

  const keyLength = body.readUInt16LE(17)
  if (FIXED_BODY_BYTES + keyLength > bodyLength) {
    return { status: 'corrupt', reason: `key length ${keyLength} exceeds the body` }
  }

  const keyEnd = FIXED_BODY_BYTES + keyLength
  return {
    status: 'ok',
    record: {
      offset: readUint64(body, 1),
      timestampMs: readUint64(body, 9),
      key: body.toString('utf8', FIXED_BODY_BYTES, keyEnd),
      value: body.subarray(keyEnd),
      sizeBytes,
    },
  }
}

/**
 * Returns the first intact record in `buffer` at or after `from` whose
 * offset is at least `minOffset`, or null. Recovery uses it to tell damage
 * in the middle of a segment, which has intact records after it, from the
 * torn end of an interrupted write, which has none.
 */
export function findIntactRecord(
  buffer: Buffer,
  from: number,
  minOffset: number,
): { position: number, offset: number } | null {
  // Each record takes at least RECORD_OVERHEAD_BYTES, which bounds the offsets that can follow.
  const maxOffset = minOffset + Math.ceil(buffer.length / RECORD_OVERHEAD_BYTES)

  for (let position = from; position + RECORD_OVERHEAD_BYTES <= buffer.length; position++) {
    // Cheap checks first: inside the JSON text of a record, the length check fails at most positions.
    const bodyLength = buffer.readUInt32LE(position)
    if (bodyLength < FIXED_BODY_BYTES || bodyLength > MAX_BODY_BYTES) continue
    if (buffer.readUInt8(position + HEADER_BYTES) !== RECORD_VERSION) continue
    const offset = readUint64(buffer, position + HEADER_BYTES + 1)
    if (offset < minOffset || offset > maxOffset) continue

    const result = decodeRecord(buffer, position)
    if (result.status === 'ok') return { position, offset }
  }
  return null
}

