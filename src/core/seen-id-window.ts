/**
 * The most recent order ids a book has accepted for duplicate detection, up
 * to a capacity, oldest forgotten first.
 *
 * The ids sit in a ring in submit order, and an open-addressing index over
 * typed arrays maps each id's hash to its ring position. The index holds
 * no object references, so a large window costs the garbage collector
 * nothing and a write into it needs no write barrier. Looking up an id that
 * was never seen usually reads one slot of the hash array, which contains
 * nothing else so that more of it stays in cache. Forgetting the oldest id
 * finds its index entry by ring position, without reading the id.
 */

const EMPTY = 0
const MIN_INDEX_SLOTS = 256

export class SeenIdWindow {
  readonly capacity: number
  /** The ids in submit order: oldest first until the ring is full, then oldest at #next. */
  readonly #ring: string[]
  /** hashOrderId of each id in #ring, at the same position. */
  #ringHashes: Int32Array
  /** The ring position the next id overwrites once the ring is full. */
  #next: number
  /** The hash of the id in each index slot, EMPTY when free. Length: a power of two. */
  #slotHashes: Int32Array
  /** The ring position + 1 of the id in each index slot, EMPTY when free. */
  #slotPositions: Int32Array
  #mask: number

  /** capacity: a positive integer or Infinity, validated by the caller. */
  constructor(capacity: number) {
    this.capacity = capacity
    this.#ring = []
    this.#ringHashes = new Int32Array(MIN_INDEX_SLOTS)
    this.#next = 0
    this.#slotHashes = new Int32Array(MIN_INDEX_SLOTS)
    this.#slotPositions = new Int32Array(MIN_INDEX_SLOTS)
    this.#mask = MIN_INDEX_SLOTS - 1
  }

  get size(): number {
    return this.#ring.length
  }

  /** Returns whether the id is in the window. hash = hashOrderId(id). */
  has(id: string, hash: number): boolean {
    // hashOrderId never returns 0, so a zero hash means a free slot.
    const slotHashes = this.#slotHashes
    const mask = this.#mask
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const slotHash = slotHashes[slot]
      if (slotHash === EMPTY) {
        return false
      }
      if (slotHash === hash && this.#ring[this.#slotPositions[slot] - 1] === id) {
        return true
      }
    }
  }

  /**
   * Adds an id that is not in the window, forgetting the oldest id when the
   * window is full.
   */
  add(id: string, hash: number): void {
    const ring = this.#ring
    if (ring.length < this.capacity) {
      if (2 * (ring.length + 1) > this.#slotHashes.length) {
        this.#grow()
      }
      if (ring.length === this.#ringHashes.length) {
        const hashes = new Int32Array(2 * ring.length)
        hashes.set(this.#ringHashes)
        this.#ringHashes = hashes
      }
      this.#ringHashes[ring.length] = hash
      ring.push(id)
      this.#insert(hash, ring.length)
      return
    }

    const position = this.#next
    this.#remove(this.#ringHashes[position], position + 1)
    ring[position] = id
    this.#ringHashes[position] = hash
    this.#next = position + 1 === ring.length ? 0 : position + 1
    this.#insert(hash, position + 1)
  }

  /** Returns the ids, oldest first. */
  ids(): string[] {
    const ring = this.#ring
    return [...ring.slice(this.#next), ...ring.slice(0, this.#next)]
  }

  #insert(hash: number, positionPlusOne: number): void {
    const slotHashes = this.#slotHashes
    const mask = this.#mask
    let slot = hash & mask
    while (slotHashes[slot] !== EMPTY) {
      slot = (slot + 1) & mask
    }
    slotHashes[slot] = hash
    this.#slotPositions[slot] = positionPlusOne
  }

  /** Removes the index entry of a ring position, which must be present. */
  #remove(hash: number, positionPlusOne: number): void {
    const slotHashes = this.#slotHashes
    const slotPositions = this.#slotPositions
    const mask = this.#mask
    let gap = hash & mask
    while (slotHashes[gap] !== hash || slotPositions[gap] !== positionPlusOne) {
      gap = (gap + 1) & mask
    }

    deleteSlot(slotHashes, slotPositions, mask, gap)
  }

  /** Doubles the index, keeping it at most half full. */
  #grow(): void {
    const slots = 2 * this.#slotHashes.length
    this.#slotHashes = new Int32Array(slots)
    this.#slotPositions = new Int32Array(slots)
    this.#mask = slots - 1
    const ringHashes = this.#ringHashes
    for (let position = 0; position < this.#ring.length; position++) {
      this.#insert(ringHashes[position], position + 1)
    }
  }
}

/**
 * Empties slot `gap` of an open-addressing index of hashes and values in two
 * Int32Arrays (0 marks a free slot), with backward-shift deletion as in
 * OrderIdTable, so no tombstones build up.
 */
export function deleteSlot(hashes: Int32Array, values: Int32Array, mask: number, gap: number): void {
  for (let next = (gap + 1) & mask; hashes[next] !== EMPTY; next = (next + 1) & mask) {
    const home = hashes[next] & mask
    const homeInRange = gap <= next ? gap < home && home <= next : gap < home || home <= next
    if (!homeInRange) {
      hashes[gap] = hashes[next]
      values[gap] = values[next]
      gap = next
    }
  }
  hashes[gap] = EMPTY
  values[gap] = EMPTY
}
