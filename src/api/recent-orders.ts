/**
 * The orders this API process accepted recently, so that a read, cancel or
 * modify sent right after the 202 finds the order before the engine has
 * written it to the store. The store stays the source of truth: an entry is
 * only consulted when the store has no copy of the order.
 */

import type { OrderRecord } from '../store/types.ts'

/** Default bound; at 2,000 orders/s it covers about 50 s of acceptances. */
export const DEFAULT_RECENT_ORDERS = 100_000

export class RecentOrders {
  readonly capacity: number
  // A Map iterates in insertion order, so the first key is the oldest entry.
  #orders = new Map<string, OrderRecord>()
  /** Appends in flight, by order id, of orders sent with a clientOrderId. */
  #pending = new Map<string, Promise<unknown>>()

  constructor(capacity = DEFAULT_RECENT_ORDERS) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer (got ${capacity})`)
    }
    this.capacity = capacity
  }

  add(order: OrderRecord): void {
    this.#orders.set(order.id, order)
    if (this.#orders.size > this.capacity) {
      const oldest = this.#orders.keys().next().value as string
      this.#orders.delete(oldest)
    }
  }

  get(id: string): OrderRecord | undefined {
    return this.#orders.get(id)
  }

  /** Returns the append in flight for this order id, if any. */
  pending(id: string): Promise<unknown> | undefined {
    return this.#pending.get(id)
  }

  /** Records an append in flight until it settles. */
  setPending(id: string, append: Promise<unknown>): void {
    this.#pending.set(id, append)
    const clear = () => {
      if (this.#pending.get(id) === append) this.#pending.delete(id)
    }
    append.then(clear, clear)
  }
}
