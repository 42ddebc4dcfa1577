/**
 * A price level: the resting orders at one price of one side, in time
 * priority, as an intrusive doubly linked FIFO (the links live on the
 * orders), with a running total so that level queries are O(1).
 */

import type { BookOrder } from './book-order.ts'

export class PriceLevel {
  readonly priceTicks: number
  /**
   * Sort key of the level within its side: priceTicks for bids, -priceTicks
   * for asks, so the best level of either side has the largest key.
   */
  readonly sortKey: number
  /** Sum of remainingLots of the queued orders, kept <= Number.MAX_SAFE_INTEGER by the book. */
  totalLots: number
  orderCount: number
  head: BookOrder | null
  tail: BookOrder | null

  constructor(priceTicks: number, sortKey: number) {
    this.priceTicks = priceTicks
    this.sortKey = sortKey
    this.totalLots = 0
    this.orderCount = 0
    this.head = null
    this.tail = null
  }

  /** Appends an order at the back of the queue and adds its remaining lots to the total. */
  append(order: BookOrder): void {
    order.level = this
    order.prev = this.tail
    order.next = null
    if (this.tail === null) {
      this.head = order
    } else {
      this.tail.next = order
    }
    this.tail = order
    this.totalLots += order.remainingLots
    this.orderCount++
  }

  /** Unlinks an order and subtracts its current remaining lots from the total. */
  remove(order: BookOrder): void {
    const prev = order.prev
    const next = order.next
    if (prev === null) {
      this.head = next
    } else {
      prev.next = next
    }
    if (next === null) {
      this.tail = prev
    } else {
      next.prev = prev
    }
    order.prev = null
    order.next = null
    order.level = null
    this.totalLots -= order.remainingLots
    this.orderCount--
  }
}
