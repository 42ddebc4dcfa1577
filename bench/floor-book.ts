/**
 * A lower bound for the core benchmark: price-time matching of the
 * benchmark's command kinds (GTC and IOC limit orders, cancels, modifies)
 * with the same trades as src/core, but with every order in typed arrays and
 * nothing allocated per command. It validates nothing, keeps no status and
 * hands out no order, fill or result objects, so it does less than the
 * product must. Its time per command shows how fast a book of this layout
 * can be in this runtime, not what ours should be.
 *
 * Two options put back parts of the product's contract: the window of
 * remembered ids (the core's SeenIdWindow, 0 for none) and one order object
 * per submitted order (the core's BookOrder), kept while the order rests.
 */

import { BookOrder } from '../src/core/book-order.ts'
import { hashOrderId } from '../src/core/order-id-table.ts'
import { lowerBoundBySortKey } from '../src/core/book-side.ts'
import { deleteSlot, SeenIdWindow } from '../src/core/seen-id-window.ts'
import { TradeRecorder, type ApplyCommand, type TradeDigest } from './core-drivers.ts'
import { KIND_CANCEL, KIND_IOC, KIND_LIMIT, SIDE_BUY, type OrderFlow } from './flow-generator.ts'

const NONE = -1
const FIRST_SLOTS = 1 << 12

export type FillListener = (priceTicks: number, lots: number, makerId: string, takerId: string) => void

export interface FloorBookOptions {
  /** Number of remembered ids for duplicate detection, or 0 for none. */
  seenIdCapacity: number
  /** Whether each submit allocates a BookOrder, kept while the order rests. */
  orderObjects: boolean
  onFill?: FillListener
}

class Level {
  readonly priceTicks: number
  /** priceTicks for bids, -priceTicks for asks: the best level has the largest key. */
  readonly sortKey: number
  totalLots = 0
  orderCount = 0
  head = NONE
  tail = NONE

  constructor(priceTicks: number, sortKey: number) {
    this.priceTicks = priceTicks
    this.sortKey = sortKey
  }
}

/** One side's levels, ascending by sort key so the best is last, searched as the core's BookSide does. */
class Levels {
  readonly isBid: boolean
  readonly sorted: Level[] = []

  constructor(isBid: boolean) {
    this.isBid = isBid
  }

  getOrCreate(priceTicks: number): Level {
    const sortKey = this.isBid ? priceTicks : -priceTicks
    const index = lowerBoundBySortKey(this.sorted, sortKey)
    const existing = this.sorted[index]
    if (existing !== undefined && existing.sortKey === sortKey) return existing

    const level = new Level(priceTicks, sortKey)
    this.sorted.splice(index, 0, level)
    return level
  }

  remove(level: Level): void {
    const sorted = this.sorted
    if (sorted[sorted.length - 1] === level) {
      sorted.pop()
    } else {
      sorted.splice(lowerBoundBySortKey(sorted, level.sortKey), 1)
    }
  }

}

export class FloorBook {
  readonly #options: FloorBookOptions
  readonly #seenIds: SeenIdWindow | null
  readonly #bids = new Levels(true)
  readonly #asks = new Levels(false)

  // One slot per resting order. Free slots are reused, last freed first.
  #ids: string[] = []
  #objects: (BookOrder | null)[] = []
  #levels: (Level | null)[] = []
  #idHashes = new Int32Array(FIRST_SLOTS)
  #priceTicks = new Float64Array(FIRST_SLOTS)
  #remainingLots = new Float64Array(FIRST_SLOTS)
  #next = new Int32Array(FIRST_SLOTS)
  #prev = new Int32Array(FIRST_SLOTS)
  #isBid = new Uint8Array(FIRST_SLOTS)
  #freeSlots = new Int32Array(FIRST_SLOTS)
  #freeCount = 0
  #usedSlots = 0

  // Resting orders by id: open addressing over the id hash, value = slot.
  #tableHashes = new Int32Array(2 * FIRST_SLOTS)
  #tableSlots = new Int32Array(2 * FIRST_SLOTS)
  #tableSize = 0

  constructor(options: FloorBookOptions) {
    this.#options = options
    this.#seenIds = options.seenIdCapacity > 0 ? new SeenIdWindow(options.seenIdCapacity) : null
  }

  /** Submits a GTC or IOC limit order. Returns false for a duplicate id. */
  submit(id: string, isBid: boolean, priceTicks: number, lots: number, immediateOrCancel: boolean): boolean {
    const idHash = hashOrderId(id)
    const object = this.#options.orderObjects
      ? new BookOrder(id, 'floor', 'FLOOR', isBid ? 'buy' : 'sell', 'limit', 'GTC', priceTicks, lots, 0, 0)
      : null
    if (this.#find(id, idHash) !== NONE) return false
    if (this.#seenIds !== null) {
      if (this.#seenIds.has(id, idHash)) return false
      this.#seenIds.add(id, idHash)
    }

    const remaining = this.#match(id, isBid, priceTicks, lots)
    if (remaining === 0 || immediateOrCancel) return true

    const slot = this.#allocate()
    this.#ids[slot] = id
    this.#objects[slot] = object
    this.#idHashes[slot] = idHash
    this.#priceTicks[slot] = priceTicks
    this.#remainingLots[slot] = remaining
    this.#isBid[slot] = isBid ? 1 : 0
    this.#insert(idHash, slot)
    this.#append((isBid ? this.#bids : this.#asks).getOrCreate(priceTicks), slot)
    return true
  }

  /** Cancels a resting order. Returns false when the order does not rest. */
  cancel(id: string): boolean {
    const slot = this.#find(id, hashOrderId(id))
    if (slot === NONE) return false
    this.#unrest(slot)
    this.#free(slot)
    return true
  }

  /**
   * Changes the price and remaining lots of a resting order, a 0 keeping that
   * field. Returns false when the order does not rest.
   */
  modify(id: string, newPriceTicks: number, newLots: number): boolean {
    const slot = this.#find(id, hashOrderId(id))
    if (slot === NONE) return false
    const priceTicks = newPriceTicks > 0 ? newPriceTicks : this.#priceTicks[slot]
    const lots = newLots > 0 ? newLots : this.#remainingLots[slot]
    const level = this.#levels[slot] as Level

    if (priceTicks === this.#priceTicks[slot]) {
      const delta = lots - this.#remainingLots[slot]
      if (delta < 0) {
        level.totalLots += delta
        this.#remainingLots[slot] = lots
      } else if (delta > 0) {
        this.#unlink(level, slot)
        this.#remainingLots[slot] = lots
        this.#append(level, slot)
      }
      return true
    }

    const isBid = this.#isBid[slot] === 1
    this.#unrest(slot)
    const remaining = this.#match(id, isBid, priceTicks, lots)
    if (remaining === 0) {
      this.#free(slot)
      return true
    }
    this.#priceTicks[slot] = priceTicks
    this.#remainingLots[slot] = remaining
    this.#append((isBid ? this.#bids : this.#asks).getOrCreate(priceTicks), slot)
    return true
  }

  /** Matches at the makers' prices up to the limit and returns the taker's remaining lots. */
  #match(takerId: string, isBid: boolean, limit: number, lots: number): number {
    const opposite = isBid ? this.#asks : this.#bids
    const sorted = opposite.sorted
    const onFill = this.#options.onFill
    let remaining = lots

    while (remaining > 0 && sorted.length > 0) {
      const level = sorted[sorted.length - 1]
      const priceTicks = level.priceTicks
      if (isBid ? priceTicks > limit : priceTicks < limit) break

      let maker = level.head
      while (maker !== NONE && remaining > 0) {
        const next = this.#next[maker]
        const makerLots = this.#remainingLots[maker]
        const filled = makerLots < remaining ? makerLots : remaining
        remaining -= filled
        onFill?.(priceTicks, filled, this.#ids[maker], takerId)

        if (filled === makerLots) {
          this.#unlink(level, maker)
          this.#free(maker)
        } else {
          this.#remainingLots[maker] = makerLots - filled
          level.totalLots -= filled
        }
        maker = next
      }
      if (level.orderCount === 0) opposite.remove(level)
    }
    return remaining
  }

  #append(level: Level, slot: number): void {
    this.#levels[slot] = level
    this.#prev[slot] = level.tail
    this.#next[slot] = NONE
    if (level.tail === NONE) level.head = slot
    else this.#next[level.tail] = slot
    level.tail = slot
    level.totalLots += this.#remainingLots[slot]
    level.orderCount++
  }

  #unlink(level: Level, slot: number): void {
    const prev = this.#prev[slot]
    const next = this.#next[slot]
    if (prev === NONE) level.head = next
    else this.#next[prev] = next
    if (next === NONE) level.tail = prev
    else this.#prev[next] = prev
    this.#levels[slot] = null
    level.totalLots -= this.#remainingLots[slot]
    level.orderCount--
  }

  #unrest(slot: number): void {
    const level = this.#levels[slot] as Level
    this.#unlink(level, slot)
    if (level.orderCount === 0) (this.#isBid[slot] === 1 ? this.#bids : this.#asks).remove(level)
  }

  #allocate(): number {
    if (this.#freeCount > 0) return this.#freeSlots[--this.#freeCount]
    if (this.#usedSlots === this.#idHashes.length) this.#growSlots()
    return this.#usedSlots++
  }

  /** Drops a slot that no longer rests from the table and frees it. */
  #free(slot: number): void {
    this.#delete(this.#idHashes[slot], slot)
    this.#ids[slot] = ''
    this.#objects[slot] = null
    this.#freeSlots[this.#freeCount++] = slot
  }

  #growSlots(): void {
    const slots = 2 * this.#idHashes.length
    this.#idHashes = grown(this.#idHashes, new Int32Array(slots))
    this.#priceTicks = grown(this.#priceTicks, new Float64Array(slots))
    this.#remainingLots = grown(this.#remainingLots, new Float64Array(slots))
    this.#next = grown(this.#next, new Int32Array(slots))
    this.#prev = grown(this.#prev, new Int32Array(slots))
    this.#isBid = grown(this.#isBid, new Uint8Array(slots))
    this.#freeSlots = grown(this.#freeSlots, new Int32Array(slots))
  }

  #find(id: string, idHash: number): number {
    const hashes = this.#tableHashes
    const mask = hashes.length - 1
    for (let index = idHash & mask; ; index = (index + 1) & mask) {
      const hash = hashes[index]
      if (hash === 0) return NONE
      if (hash === idHash && this.#ids[this.#tableSlots[index]] === id) return this.#tableSlots[index]
    }
  }

  #insert(idHash: number, slot: number): void {
    if (2 * (this.#tableSize + 1) > this.#tableHashes.length) this.#growTable()
    const hashes = this.#tableHashes
    const mask = hashes.length - 1
    let index = idHash & mask
    while (hashes[index] !== 0) index = (index + 1) & mask
    hashes[index] = idHash
    this.#tableSlots[index] = slot
    this.#tableSize++
  }

  /** Removes a table entry by backward-shift deletion, as the core's remembered-id window does. */
  #delete(idHash: number, slot: number): void {
    const hashes = this.#tableHashes
    const slots = this.#tableSlots
    const mask = hashes.length - 1
    let gap = idHash & mask
    while (slots[gap] !== slot || hashes[gap] !== idHash) gap = (gap + 1) & mask

    deleteSlot(hashes, slots, mask, gap)
    this.#tableSize--
  }

  #growTable(): void {
    const oldHashes = this.#tableHashes
    const oldSlots = this.#tableSlots
    this.#tableHashes = new Int32Array(2 * oldHashes.length)
    this.#tableSlots = new Int32Array(2 * oldHashes.length)
    this.#tableSize = 0
    for (let index = 0; index < oldHashes.length; index++) {
      if (oldHashes[index] !== 0) this.#insert(oldHashes[index], oldSlots[index])
    }
  }
}

/** Returns an applier of the flow's commands to a fresh FloorBook. */
export function createFloorDriver(flow: OrderFlow, options: FloorBookOptions): ApplyCommand {
  const book = new FloorBook(options)
  const { kinds, sides, orderRefs, priceTicks, quantityLots, orderIds } = flow
  return (index) => {
    const kind = kinds[index]
    const id = orderIds[orderRefs[index]]
    if (kind === KIND_LIMIT || kind === KIND_IOC) {
      book.submit(id, sides[index] === SIDE_BUY, priceTicks[index], quantityLots[index], kind === KIND_IOC)
    } else if (kind === KIND_CANCEL) {
      book.cancel(id)
    } else {
      book.modify(id, priceTicks[index], quantityLots[index])
    }
  }
}

/** Runs the whole flow through a fresh FloorBook and returns the digest of its trades. */
export function floorTradeDigest(flow: OrderFlow, options: Omit<FloorBookOptions, 'onFill'>): TradeDigest {
  const recorder = new TradeRecorder(flow.length)
  const onFill = (priceTicks: number, lots: number, makerId: string, takerId: string): void => {
    recorder.add(priceTicks, lots, makerId, takerId)
  }
  const apply = createFloorDriver(flow, { ...options, onFill })
  for (let index = 0; index < flow.length; index++) apply(index)
  return recorder.digest()
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(old: T, larger: T): T {
  larger.set(old as never)
  return larger
}
