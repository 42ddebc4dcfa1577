/**
 * The order mix of the service benchmark, over a few symbols: 70 % passive
 * GTC limit orders (bids 99.00-99.99, asks 100.01-101.00, so they never
 * cross each other) and 30 % IOC orders at 100.50 (buy) or 99.50 (sell) that
 * cross the passive band and leave nothing on the book.
 */

import { randomUUID } from 'node:crypto'
import type { NewOrderCommand } from '../src/log/commands.ts'
import { createRandom } from './flow-generator.ts'

export const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN']
const CROSSING_SHARE = 0.3

export interface BenchOrder {
  clientId: string
  symbol: string
  side: 'buy' | 'sell'
  type: 'limit'
  price: string
  quantity: string
  timeInForce: 'GTC' | 'IOC'
}

/** Returns a generator of orders; the same seed gives the same sequence. */
export function createOrderMix(seed: number): () => BenchOrder {
  const random = createRandom(seed)
  let count = 0
  return () => {
    count++
    const symbol = SYMBOLS[Math.floor(random() * SYMBOLS.length)]
    const side = random() < 0.5 ? 'buy' : 'sell'
    const quantity = String(1 + Math.floor(random() * 10))
    const clientId = `bench-${count % 50}`

    if (random() < CROSSING_SHARE) {
      const price = side === 'buy' ? '100.50' : '99.50'
      return { clientId, symbol, side, type: 'limit', price, quantity, timeInForce: 'IOC' }
    }
    const offsetCents = 1 + Math.floor(random() * 100)
    const cents = side === 'buy' ? 10_000 - offsetCents : 10_000 + offsetCents
    const price = (cents / 100).toFixed(2)
    return { clientId, symbol, side, type: 'limit', price, quantity, timeInForce: 'GTC' }
  }
}

/** Returns the order as the command the API would append, with a fresh id. */
export function toNewOrderCommand(order: BenchOrder, timestampMs: number): NewOrderCommand {
  return {
    v: 1,
    kind: 'new',
    id: randomUUID(),
    clientId: order.clientId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    price: order.price,
    quantity: order.quantity,
    timeInForce: order.timeInForce,
    timestamp: new Date(timestampMs).toISOString(),
    source: 'orders',
  }
}
