/**
 * One side of a book: its price levels in an array sorted by ascending sort
 * key, so the best level is last and taking it off is an O(1) pop. Most
 * activity happens near the best price, so searches gallop from that end
 * before they bisect, and inserts and splices there move few elements.
 */

import { PriceLevel } from './price-level.ts'
import type { Side } from './types.ts'

export class BookSide {
  readonly side: Side
  /** Ascending by sortKey, so the best level is last. Read-only outside this class. */
  readonly levels: PriceLevel[]
  /**
   * The sort key and result of the last search, kept until the levels
   * change. A new order's price is searched before it matches, and matching
   * changes only the other side, so resting it reuses that search.
   */
  #searchedKey: number
  #searchedIndex: number

  constructor(side: Side) {
    this.side = side
    this.levels = []
    this.#searchedKey = Number.NaN
    this.#searchedIndex = 0
  }

  best(): PriceLevel | null {
    const count = this.levels.length
    return count === 0 ? null : this.levels[count - 1]
  }

  get(priceTicks: number): PriceLevel | undefined {
    const sortKey = this.#sortKeyOf(priceTicks)
    const level = this.levels[this.#lowerBound(sortKey)]
    return level !== undefined && level.sortKey === sortKey ? level : undefined
  }

  get levelCount(): number {
    return this.levels.length
  }

  getOrCreate(priceTicks: number): PriceLevel {
    const sortKey = this.#sortKeyOf(priceTicks)
    const levels = this.levels
    const index = this.#lowerBound(sortKey)
    const existing = levels[index]
    if (existing !== undefined && existing.sortKey === sortKey) {
      return existing
    }

    const level = new PriceLevel(priceTicks, sortKey)
    this.#searchedKey = Number.NaN
    if (index === levels.length) {
      levels.push(level)
    } else {
      levels.splice(index, 0, level)
    }
    return level
  }

  /** Removes a level, normally once its queue is empty. */
  removeLevel(level: PriceLevel): void {
    const levels = this.levels
    const last = levels.length - 1
    if (last >= 0 && levels[last] === level) {
      levels.pop()
      this.#searchedKey = Number.NaN
      return
    }

    const index = this.#lowerBound(level.sortKey)
    if (levels[index] !== level) {
      throw new Error(`price level ${level.priceTicks} is not on the ${this.side} side`)
    }
    levels.splice(index, 1)
    this.#searchedKey = Number.NaN
  }

  #sortKeyOf(priceTicks: number): number {
    return this.side === 'buy' ? priceTicks : -priceTicks
  }

  /** First index whose level has a sort key >= `sortKey`, or levels.length. */
  #lowerBound(sortKey: number): number {
    if (sortKey === this.#searchedKey) {
      return this.#searchedIndex
    }
    const low = lowerBoundBySortKey(this.levels, sortKey)
    this.#searchedKey = sortKey
    this.#searchedIndex = low
    return low
  }
}

/**
 * Returns the first index of `sorted` (ascending by sortKey) whose sort key
 * is >= `sortKey`, or sorted.length.
 */
export function lowerBoundBySortKey(sorted: readonly { readonly sortKey: number }[], sortKey: number): number {
  // Gallop from the best end with steps 1, 2, 4, ... Invariant: every
  // level from high on has a key >= sortKey, and the one at probe (when
  // probe >= 0 after the loop) has a smaller key.
  let high = sorted.length
  let probe = high - 1
  let step = 1
  while (probe >= 0 && sorted[probe].sortKey >= sortKey) {
    high = probe
    probe = high - step
    step *= 2
  }

  let low = probe < 0 ? 0 : probe + 1
  while (low < high) {
    const middle = (low + high) >>> 1
    if (sorted[middle].sortKey < sortKey) {
      low = middle + 1
    } else {
      high = middle
    }
  }
  return low
}
