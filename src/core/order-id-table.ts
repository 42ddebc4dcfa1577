/**
 * A hash table from order id to a value, with open addressing and linear
 * probing over a typed array of 32-bit id hashes.
 *
 * It replaces a Map<string, V> on the book's hottest path. A Map probe reads
 * a bucket, then each entry of the chain and that entry's key string, and in
 * perf profiles of bench/core.ts those reads (likely cache misses) took most
 * of the core's time. Here a lookup of an absent id usually reads one slot
 * of the hash array, and a present id adds one read of the id and value
 * pair. The caller computes the hash once per id with hashOrderId and passes
 * it to every call.
 *
 * NOTE: the hash has a fixed seed, so ids crafted to collide would cluster
 * the probes and slow the book down. Results stay correct.
 */

const EMPTY = 0
const MIN_CAPACITY = 256

/** Returns the table hash of an order id: never 0, which marks an empty slot. */
export function hashOrderId(id: string): number {
  // FNV-1a over the UTF-16 code units, then the murmur3 finalizer so that
  // ids differing in one character spread over the low bits used as index.
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193)
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash === EMPTY ? 1 : hash
}

export class OrderIdTable<V> {
  /** Hash of the id in each slot, EMPTY for a free slot. Length: a power of two. */
  #hashes: Int32Array
  /**
   * The id of slot i at 2i and its value at 2i + 1, usually in one cache
   * line. Free slots are holes, so a new array needs no fill.
   */
  #entries: (string | V | undefined)[]
  #mask: number
  #size: number

  constructor() {
    this.#hashes = new Int32Array(MIN_CAPACITY)
    this.#entries = new Array<string | V | undefined>(2 * MIN_CAPACITY)
    this.#mask = MIN_CAPACITY - 1
    this.#size = 0
  }

  get size(): number {
    return this.#size
  }

  /** Returns the value of an id, or undefined. hash = hashOrderId(id). */
  get(id: string, hash: number): V | undefined {
    const hashes = this.#hashes
    const mask = this.#mask
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const slotHash = hashes[slot]
      if (slotHash === EMPTY) {
        return undefined
      }
      if (slotHash === hash && this.#entries[2 * slot] === id) {
        return this.#entries[2 * slot + 1] as V
      }
    }
  }

  has(id: string, hash: number): boolean {
    return this.get(id, hash) !== undefined
  }

  /** Sets the value of an id, adding the id when absent. value must not be undefined. */
  set(id: string, hash: number, value: V): void {
    const hashes = this.#hashes
    const mask = this.#mask
    let slot = hash & mask
    for (; hashes[slot] !== EMPTY; slot = (slot + 1) & mask) {
      if (hashes[slot] === hash && this.#entries[2 * slot] === id) {
        this.#entries[2 * slot + 1] = value
        return
      }
    }

    // Growing at half full keeps the expected probes per lookup of an absent
    // id at or below 2.5 (Knuth's estimate for linear probing).
    if (2 * (this.#size + 1) > hashes.length) {
      this.#grow()
      this.set(id, hash, value)
      return
    }
    hashes[slot] = hash
    this.#entries[2 * slot] = id
    this.#entries[2 * slot + 1] = value
    this.#size++
  }

  /** Removes an id and returns whether it was present. */
  delete(id: string, hash: number): boolean {
    const hashes = this.#hashes
    const entries = this.#entries
    const mask = this.#mask
    let slot = hash & mask
    for (; ; slot = (slot + 1) & mask) {
      const slotHash = hashes[slot]
      if (slotHash === EMPTY) {
        return false
      }
      if (slotHash === hash && entries[2 * slot] === id) {
        break
      }
    }

    // Backward-shift deletion: move later entries of the probe run into the
    // gap when their home slot allows it, so no tombstones build up.
    let gap = slot
    for (let next = (gap + 1) & mask; hashes[next] !== EMPTY; next = (next + 1) & mask) {
      const home = hashes[next] & mask
      // The entry at next may fill the gap unless its home lies cyclically in (gap, next].
      const homeInRange = gap <= next ? gap < home && home <= next : gap < home || home <= next
      if (!homeInRange) {
        hashes[gap] = hashes[next]
        entries[2 * gap] = entries[2 * next]
        entries[2 * gap + 1] = entries[2 * next + 1]
        gap = next
      }
    }
    hashes[gap] = EMPTY
    entries[2 * gap] = undefined
    entries[2 * gap + 1] = undefined
    this.#size--
    return true
  }

  /** Yields every [id, value] pair in slot order. The table must not change meanwhile. */
  *entries(): Generator<[string, V]> {
    const hashes = this.#hashes
    for (let slot = 0; slot < hashes.length; slot++) {
      if (hashes[slot] !== EMPTY) {
        yield [this.#entries[2 * slot] as string, this.#entries[2 * slot + 1] as V]
      }
    }
  }

  #grow(): void {
    const oldHashes = this.#hashes
    const oldEntries = this.#entries
    const capacity = 2 * oldHashes.length
    this.#hashes = new Int32Array(capacity)
    this.#entries = new Array<string | V | undefined>(2 * capacity)
    this.#mask = capacity - 1

    const hashes = this.#hashes
    const entries = this.#entries
    const mask = this.#mask
    for (let old = 0; old < oldHashes.length; old++) {
      const hash = oldHashes[old]
      if (hash === EMPTY) {
        continue
      }
      let slot = hash & mask
      while (hashes[slot] !== EMPTY) {
        slot = (slot + 1) & mask
      }
      hashes[slot] = hash
      entries[2 * slot] = oldEntries[2 * old]
      entries[2 * slot + 1] = oldEntries[2 * old + 1]
    }
  }
}
