/**
 * One side of a book: its price levels in an array sorted by ascending sort
 * key, so the best level is last and taking it off is an O(1) pop. Most
 * activity happens near the best price, which is the cheap end of the array
 * for binary-search inserts and splices. A map finds a level by price in O(1).
 */

import { PriceLevel } from './price-level.ts'
import type { Side } from './types.ts'

export class BookSide {
  readonly side: Side
  /** Ascending by sortKey, so the best level is last. Read-only outside this class. */
  readonly levels: PriceLevel[]
  readonly #byPrice: Map<number, PriceLevel>

  constructor(side: Side) {
    this.side = side
    this.levels = []
    this.#byPrice = new Map()
  }

  best(): PriceLevel | null {
    const count = this.levels.length
    return count === 0 ? null : this.levels[count - 1]
  }

  get(priceTicks: number): PriceLevel | undefined {
    return this.#byPrice.get(priceTicks)
  }

  get levelCount(): number {
    return this.levels.length
  }

  getOrCreate(priceTicks: number): PriceLevel {
    const existing = this.#byPrice.get(priceTicks)
    if (existing !== undefined) {
      return existing
    }

    const sortKey = this.side === 'buy' ? priceTicks : -priceTicks
    const level = new PriceLevel(priceTicks, sortKey)
    const levels = this.levels
    const count = levels.length
    if (count === 0 || levels[count - 1].sortKey < sortKey) {
      levels.push(level)
    } else {
      levels.splice(this.#lowerBound(sortKey), 0, level)
    }
    this.#byPrice.set(priceTicks, level)
    return level
  }

  /** Removes a level, normally once its queue is empty. */
  removeLevel(level: PriceLevel): void {
    const levels = this.levels
    const last = levels.length - 1
    if (last >= 0 && levels[last] === level) {
      levels.pop()
    } else {
      const index = this.#lowerBound(level.sortKey)
      if (levels[index] !== level) {
        throw new Error(`price level ${level.priceTicks} is not on the ${this.side} side`)
      }
      levels.splice(index, 1)
    }
    this.#byPrice.delete(level.priceTicks)
  }

  /** Number of levels in the price map, for the invariant check against `levels`. */
  get mappedLevelCount(): number {
    return this.#byPrice.size
  }

  /** First index whose level has a sort key >= `sortKey`. */
  #lowerBound(sortKey: number): number {
    const levels = this.levels
    let low = 0
    let high = levels.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (levels[middle].sortKey < sortKey) {
        low = middle + 1
      } else {
        high = middle
      }
    }
    return low
  }
}
