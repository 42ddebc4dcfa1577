/**
 * Reference book for the replay tests: a price-level map with a FIFO queue
 * of orders at each level, applying plan commands with the semantics the
 * product promises (price-time priority, IOC remainder dropped, a decrease
 * keeps priority). It shares no code with the product, so the e2e test can
 * demand that the product's levels equal these exactly.
 */

import type { PlanCommand } from '../../../src/replay/lobster-plan.ts'

interface RestingOrder {
  ref: string
  /** Shares. */
  remaining: number
}

export interface PlainLevel {
  /** Dollars × 10000. */
  priceRaw: number
  /** Shares. */
  size: number
  orders: number
}

/** What one command did, so a test can count commands that found no resting order. */
export type ApplyResult = 'applied' | 'not_resting'

export class PlainBook {
  /** Price -> FIFO queue of the orders resting there, one map a side. */
  #bids = new Map<number, RestingOrder[]>()
  #asks = new Map<number, RestingOrder[]>()
  /** Ref -> price and side of every resting order. */
  #resting = new Map<string, { priceRaw: number, side: 'buy' | 'sell' }>()

  apply(command: PlanCommand): ApplyResult {
    if (command.kind === 'submit') {
      this.#submit(command.ref, command.side, command.priceRaw, command.quantity, command.timeInForce)
      return 'applied'
    }

    const location = this.#resting.get(command.ref)
    if (location === undefined) return 'not_resting'

    const levels = location.side === 'buy' ? this.#bids : this.#asks
    const queue = levels.get(location.priceRaw)!
    const index = queue.findIndex((order) => order.ref === command.ref)
    const order = queue[index]

    if (command.kind === 'cancel' || order.remaining <= command.size) {
      queue.splice(index, 1)
      if (queue.length === 0) levels.delete(location.priceRaw)
      this.#resting.delete(command.ref)
    } else {
      order.remaining -= command.size
    }
    return 'applied'
  }

  isResting(ref: string): boolean {
    return this.#resting.has(ref)
  }

  /** The best `depth` levels of each side, best first. */
  depth(depth: number): { bids: PlainLevel[], asks: PlainLevel[] } {
    return {
      bids: summarize(this.#bids, (a, b) => b - a, depth),
      asks: summarize(this.#asks, (a, b) => a - b, depth),
    }
  }

  #submit(ref: string, side: 'buy' | 'sell', priceRaw: number, quantity: number, timeInForce: 'GTC' | 'IOC'): void {
    const opposite = side === 'buy' ? this.#asks : this.#bids
    const crosses = (levelPrice: number) => (side === 'buy' ? levelPrice <= priceRaw : levelPrice >= priceRaw)
    let remaining = quantity

    while (remaining > 0) {
      const best = bestPrice(opposite, side === 'buy' ? 'lowest' : 'highest')
      if (best === undefined || !crosses(best)) break

      const queue = opposite.get(best)!
      const maker = queue[0]
      const fill = Math.min(maker.remaining, remaining)
      maker.remaining -= fill
      remaining -= fill

      if (maker.remaining === 0) {
        queue.shift()
        this.#resting.delete(maker.ref)
        if (queue.length === 0) opposite.delete(best)
      }
    }

    if (remaining === 0 || timeInForce === 'IOC') return

    const own = side === 'buy' ? this.#bids : this.#asks
    const queue = own.get(priceRaw) ?? []
    queue.push({ ref, remaining })
    own.set(priceRaw, queue)
    this.#resting.set(ref, { priceRaw, side })
  }
}

function bestPrice(levels: Map<number, RestingOrder[]>, which: 'lowest' | 'highest'): number | undefined {
  let best: number | undefined
  for (const price of levels.keys()) {
    if (best === undefined || (which === 'lowest' ? price < best : price > best)) best = price
  }
  return best
}

function summarize(
  levels: Map<number, RestingOrder[]>,
  compare: (a: number, b: number) => number,
  depth: number,
): PlainLevel[] {
  return [...levels.keys()]
    .sort(compare)
    .slice(0, depth)
    .map((priceRaw) => {
      const queue = levels.get(priceRaw)!
      const size = queue.reduce((sum, order) => sum + order.remaining, 0)
      return { priceRaw, size, orders: queue.length }
    })
}
