/**
 * Snapshots of the matching state as plain JSON-serializable objects
 * (bigints as decimal strings), and their validated restore.
 */

import { BookOrder, orderToJson } from './book-order.ts'
import { checkBookInvariants } from './invariants.ts'
import { OrderBook, type OrderBookOptions } from './order-book.ts'
import type { OrderJson } from './types.ts'

export const SNAPSHOT_FORMAT = 1

export interface BookSnapshot {
  symbol: string
  lastSeq: number
  /** Remembered order ids, oldest first, including those of resting orders. */
  seenIds: string[]
  /** Resting bids then resting asks, each in price-time order (best price first). */
  orders: OrderJson[]
}

export interface EngineSnapshot {
  format: typeof SNAPSHOT_FORMAT
  /** seq of the last command the engine applied, or -1 before the first. */
  lastSeq: number
  /** Sorted by symbol. */
  books: BookSnapshot[]
}

/** Error for invalid snapshot content. Restore throws it rather than run on a bad state. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SnapshotError'
  }
}

export function snapshotBook(book: OrderBook): BookSnapshot {
  const orders: OrderJson[] = []
  for (const order of book.restingOrders('buy')) {
    orders.push(orderToJson(order))
  }
  for (const order of book.restingOrders('sell')) {
    orders.push(orderToJson(order))
  }
  return {
    symbol: book.symbol,
    lastSeq: book.lastSeq,
    seenIds: book.seenIds(),
    orders,
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function requireSafeInteger(where: string, field: string, value: unknown, minimum: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < minimum) {
    throw new SnapshotError(`${where}: ${field} must be a safe integer >= ${minimum}, got ${JSON.stringify(value)}`)
  }
  return value as number
}

function requireString(where: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new SnapshotError(`${where}: ${field} must be a non-empty string, got ${JSON.stringify(value)}`)
  }
  return value
}

function requireOneOf<T extends string>(where: string, field: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new SnapshotError(`${where}: ${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
  }
  return value as T
}

function parseOrder(where: string, symbol: string, value: unknown): BookOrder {
  if (!isRecord(value)) {
    throw new SnapshotError(`${where}: not an object`)
  }
  if (value.symbol !== symbol) {
    throw new SnapshotError(`${where}: symbol ${JSON.stringify(value.symbol)} differs from the book ${symbol}`)
  }
  if (typeof value.notional !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value.notional)) {
    throw new SnapshotError(
      `${where}: notional must be a non-negative integer string, got ${JSON.stringify(value.notional)}`,
    )
  }
  if (value.reason !== null) {
    throw new SnapshotError(`${where}: reason must be null for a resting order, got ${JSON.stringify(value.reason)}`)
  }

  const order = new BookOrder(
    requireString(where, 'id', value.id),
    requireString(where, 'clientId', value.clientId),
    symbol,
    requireOneOf(where, 'side', value.side, ['buy', 'sell']),
    requireOneOf(where, 'type', value.type, ['limit']),
    requireOneOf(where, 'timeInForce', value.timeInForce, ['GTC']),
    requireSafeInteger(where, 'priceTicks', value.priceTicks, 1),
    requireSafeInteger(where, 'quantityLots', value.quantityLots, 1),
    requireSafeInteger(where, 'timestampMs', value.timestampMs, Number.MIN_SAFE_INTEGER),
    requireSafeInteger(where, 'prioritySeq', value.prioritySeq, 0),
  )
  order.filledLots = requireSafeInteger(where, 'filledLots', value.filledLots, 0)
  order.remainingLots = requireSafeInteger(where, 'remainingLots', value.remainingLots, 1)
  order.cancelledLots = requireSafeInteger(where, 'cancelledLots', value.cancelledLots, 0)
  order.notional = BigInt(value.notional)
  order.status = requireOneOf(where, 'status', value.status, ['open', 'partially_filled'])
  order.updatedSeq = requireSafeInteger(where, 'updatedSeq', value.updatedSeq, 0)
  order.updatedMs = requireSafeInteger(where, 'updatedMs', value.updatedMs, Number.MIN_SAFE_INTEGER)
  return order
}

/**
 * Rebuilds a book from its snapshot. Throws SnapshotError when a field is
 * malformed or the rebuilt book violates an invariant.
 */
export function restoreBook(snapshot: unknown, options: OrderBookOptions = {}): OrderBook {
  if (!isRecord(snapshot)) {
    throw new SnapshotError('book snapshot is not an object')
  }

  const symbol = requireString('book snapshot', 'symbol', snapshot.symbol)
  const where = `book snapshot ${symbol}`
  const lastSeq = requireSafeInteger(where, 'lastSeq', snapshot.lastSeq, -1)
  if (!Array.isArray(snapshot.seenIds) || !snapshot.seenIds.every((id) => typeof id === 'string')) {
    throw new SnapshotError(`${where}: seenIds must be an array of strings`)
  }
  if (!Array.isArray(snapshot.orders)) {
    throw new SnapshotError(`${where}: orders must be an array`)
  }

  const orders = snapshot.orders.map((value, index) => parseOrder(`${where} order ${index}`, symbol, value))
  let book: OrderBook
  try {
    book = OrderBook.restore({ symbol, lastSeq, seenIds: snapshot.seenIds, orders }, options)
  } catch (error) {
    throw new SnapshotError(`${where}: ${(error as Error).message}`)
  }

  const violations = checkBookInvariants(book)
  if (violations.length > 0) {
    throw new SnapshotError(`${where} is inconsistent: ${violations.slice(0, 5).join('; ')}`)
  }
  return book
}
