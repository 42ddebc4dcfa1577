/**
 * Structural checks of a book, for tests, restores and diagnostics. Each
 * violation is one readable line naming the symbol and the order or level.
 * The walk is O(resting orders + levels), so it is not meant for hot paths.
 */

import type { OrderBook } from './order-book.ts'
import type { Side } from './types.ts'

const MAX_SAFE = Number.MAX_SAFE_INTEGER

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0
}

function checkSide(book: OrderBook, side: Side, violations: string[]): number {
  const bookSide = book.bookSide(side)
  const levels = bookSide.levels
  const where = `${book.symbol} ${side}`
  let orderTotal = 0

  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]
    const at = `${where} level ${level.priceTicks}`
    const expectedKey = side === 'buy' ? level.priceTicks : -level.priceTicks

    if (level.sortKey !== expectedKey) {
      violations.push(`${at}: sort key ${level.sortKey}, expected ${expectedKey}`)
    }
    if (i > 0 && levels[i - 1].sortKey >= level.sortKey) {
      violations.push(`${at}: levels out of order after ${levels[i - 1].priceTicks}`)
    }
    if (bookSide.get(level.priceTicks) !== level) {
      violations.push(`${at}: a search for its price does not find this level`)
    }
    if (level.head === null) {
      violations.push(`${at}: empty level left on the book`)
    }

    let lots = 0
    let count = 0
    let previousPrioritySeq = -1
    let previous = null
    for (let order = level.head; order !== null; order = order.next) {
      const of = `${at} order ${order.id}`
      lots += order.remainingLots
      count++

      if (order.prev !== previous) {
        violations.push(`${of}: prev link does not point at the previous order`)
      }
      if (order.level !== level) {
        violations.push(`${of}: level link does not point at its level`)
      }
      if (order.side !== side) {
        violations.push(`${of}: side is ${order.side}`)
      }
      if (order.priceTicks !== level.priceTicks) {
        violations.push(`${of}: price ${order.priceTicks} differs from the level`)
      }
      if (order.type !== 'limit' || order.timeInForce !== 'GTC') {
        violations.push(`${of}: a ${order.timeInForce} ${order.type} order is resting`)
      }
      if (order.status !== (order.filledLots > 0 ? 'partially_filled' : 'open')) {
        violations.push(`${of}: status ${order.status} with ${order.filledLots} lots filled`)
      }
      if (order.reason !== null) {
        violations.push(`${of}: reason ${order.reason} on a resting order`)
      }
      if (!(order.remainingLots > 0) || !isCount(order.remainingLots)) {
        violations.push(`${of}: remainingLots ${order.remainingLots} is not a positive safe integer`)
      }
      if (!isCount(order.filledLots) || !isCount(order.cancelledLots) || !isCount(order.quantityLots)) {
        violations.push(`${of}: a quantity field is not a non-negative safe integer`)
      }
      if (order.filledLots + order.remainingLots + order.cancelledLots !== order.quantityLots) {
        violations.push(
          `${of}: filled ${order.filledLots} + remaining ${order.remainingLots} + ` +
            `cancelled ${order.cancelledLots} != quantity ${order.quantityLots}`,
        )
      }
      if (order.notional < 0n || (order.filledLots === 0) !== (order.notional === 0n)) {
        violations.push(`${of}: notional ${order.notional} with ${order.filledLots} lots filled`)
      }
      if (order.prioritySeq <= previousPrioritySeq) {
        violations.push(`${of}: prioritySeq ${order.prioritySeq} not above the order ahead of it`)
      }
      if (order.prioritySeq > order.updatedSeq || order.updatedSeq > book.lastSeq) {
        violations.push(
          `${of}: prioritySeq ${order.prioritySeq} <= updatedSeq ${order.updatedSeq} ` +
            `<= book lastSeq ${book.lastSeq} does not hold`,
        )
      }
      if (book.getOrder(order.id) !== order) {
        violations.push(`${of}: not in the id table`)
      }

      previousPrioritySeq = order.prioritySeq
      previous = order
    }

    if (level.tail !== previous) {
      violations.push(`${at}: tail link does not point at the last order`)
    }
    if (lots !== level.totalLots) {
      violations.push(`${at}: total ${level.totalLots} lots but its orders sum to ${lots}`)
    }
    if (count !== level.orderCount) {
      violations.push(`${at}: orderCount ${level.orderCount} but ${count} orders queued`)
    }
    if (level.totalLots > MAX_SAFE) {
      violations.push(`${at}: total ${level.totalLots} exceeds Number.MAX_SAFE_INTEGER`)
    }
    orderTotal += count
  }

  return orderTotal
}

/** Returns every violated invariant of the book, or an empty list when it is consistent. */
export function checkBookInvariants(book: OrderBook): string[] {
  const violations: string[] = []
  const queued = checkSide(book, 'buy', violations) + checkSide(book, 'sell', violations)

  let restingInTable = 0
  for (const [id, order] of book.restingTableEntries()) {
    restingInTable++
    if (order.level === null) {
      violations.push(`${book.symbol}: order ${id} does not rest but stays in the id table`)
    }
    if (order.id !== id) {
      violations.push(`${book.symbol}: order ${order.id} is filed under the id ${id}`)
    }
  }
  if (queued !== restingInTable) {
    violations.push(`${book.symbol}: ${restingInTable} resting orders in the id table but ${queued} on levels`)
  }

  const seenIds = new Set(book.seenIds())
  if (seenIds.size !== book.seenIdCount) {
    violations.push(`${book.symbol}: ${book.seenIdCount} remembered ids but ${seenIds.size} distinct`)
  }
  for (const id of seenIds) {
    if (!book.remembers(id)) {
      violations.push(`${book.symbol}: remembered id ${id} is missing from the index of remembered ids`)
    }
  }

  const bestBid = book.bookSide('buy').best()
  const bestAsk = book.bookSide('sell').best()
  if (bestBid !== null && bestAsk !== null && bestBid.priceTicks >= bestAsk.priceTicks) {
    violations.push(`${book.symbol}: crossed book, best bid ${bestBid.priceTicks} >= best ask ${bestAsk.priceTicks}`)
  }

  return violations
}
