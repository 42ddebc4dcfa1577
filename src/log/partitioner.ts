/**
 * Kafka's default partitioner for keyed records, so that the embedded log and
 * a Kafka topic with the same partition count put every symbol on the same
 * partition. The algorithm follows Utils.murmur2 and Utils.toPositive in the
 * Apache Kafka Java client (org.apache.kafka.common.utils.Utils).
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/**
 * Computes the 32-bit murmur2 hash of `data` as a signed int, the value that
 * Kafka's Utils.murmur2 returns for the same bytes.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length

  // Body: little-endian 4-byte blocks.
  const blockEnd = length - (length % 4)
  for (let i = 0; i < blockEnd; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M)
    h ^= k
  }

  // Tail: the last 1 to 3 bytes, mixed in the order of Java's fall-through switch.
  const rest = length % 4
  if (rest === 3) h ^= data[blockEnd + 2] << 16
  if (rest >= 2) h ^= data[blockEnd + 1] << 8
  if (rest >= 1) {
    h ^= data[blockEnd]
    h = Math.imul(h, M)
  }

  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15

  return h | 0
}

/** Clears the sign bit, as Kafka's Utils.toPositive does (not Math.abs). */
export function toPositive(hash: number): number {
  return hash & 0x7fffffff
}

/** Returns the partition Kafka's default partitioner picks for a keyed record. */
export function murmur2Partition(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`invalid partition count ${partitions}: expected an integer of at least 1`)
  }

  return toPositive(murmur2(Buffer.from(key, 'utf8'))) % partitions
}
