/**
 * The order book of one symbol: price-time priority matching over integer
 * ticks and lots. Pure and deterministic: no I/O, clock or randomness, and
 * every command's effect depends only on the state and the command.
 *
 * Business rejections come back as result codes and leave the resting
 * orders unchanged. Only caller bugs throw, such as a seq that is not a
 * non-negative safe integer.
 */

import { BookFill } from './book-fill.ts'
import { BookOrder } from './book-order.ts'
import { BookSide } from './book-side.ts'
import { hashOrderId, OrderIdTable } from './order-id-table.ts'
import type { PriceLevel } from './price-level.ts'
import { SeenIdWindow } from './seen-id-window.ts'
import {
  DEFAULT_SEEN_ID_CAPACITY,
  EMPTY_FILLS,
  type CommandResult,
  type Depth,
  type Fill,
  type LevelView,
  type NewOrder,
  type Order,
  type OrderBookApi,
  type OrderChange,
  type RejectionCode,
  type Side,
} from './types.ts'

const MAX_SAFE = Number.MAX_SAFE_INTEGER

const STALE_RESULT: CommandResult = Object.freeze({
  code: 'stale_sequence',
  order: null,
  fills: EMPTY_FILLS,
})

const UNKNOWN_ORDER_RESULT: CommandResult = Object.freeze({
  code: 'unknown_order',
  order: null,
  fills: EMPTY_FILLS,
})

const ORDER_NOT_ACTIVE_RESULT: CommandResult = Object.freeze({
  code: 'order_not_active',
  order: null,
  fills: EMPTY_FILLS,
})

export interface OrderBookOptions {
  /**
   * Number of the most recent order ids remembered for duplicate detection,
   * DEFAULT_SEEN_ID_CAPACITY by default, or Infinity. The oldest ids are
   * forgotten first. A cancel or modify of a forgotten id that no longer
   * rests returns 'unknown_order' instead of 'order_not_active'. Resting
   * orders are always detected as duplicates. With Infinity the memory grows
   * by one remembered id and its index slots per submit (an estimated 100
   * bytes for a UUID) for the book's lifetime, and snapshots grow with it.
   *
   * NOTE: a submit that reuses the id of a forgotten order that no longer
   * rests is accepted as a new order.
   */
  seenIdCapacity?: number
}

/** Resting state handed to OrderBook.restore, already validated by the caller. */
export interface RestoredBookState {
  symbol: string
  lastSeq: number
  /** Oldest first. */
  seenIds: string[]
  /** Every resting order, each side in price-time order. */
  orders: BookOrder[]
}

/** Returns the validated seen-id capacity. Throws RangeError for an invalid one. */
export function seenIdCapacityOf(options: OrderBookOptions): number {
  const capacity = options.seenIdCapacity ?? DEFAULT_SEEN_ID_CAPACITY
  if (!(capacity === Number.POSITIVE_INFINITY || isPositiveSafeInteger(capacity))) {
    throw new RangeError(`seenIdCapacity must be a positive integer or Infinity, got ${capacity}`)
  }
  return capacity
}

function isPositiveSafeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0
}

function isValidNewOrderShape(input: NewOrder): boolean {
  return (
    typeof input.clientId === 'string' &&
    input.clientId !== '' &&
    (input.side === 'buy' || input.side === 'sell') &&
    (input.type === 'limit' || input.type === 'market') &&
    (input.timeInForce === 'GTC' || input.timeInForce === 'IOC' || input.timeInForce === 'FOK') &&
    Number.isSafeInteger(input.timestampMs)
  )
}

export class OrderBook implements OrderBookApi {
  readonly symbol: string
  readonly #bids: BookSide
  readonly #asks: BookSide
  /**
   * Every resting order by id, and only those, so the table stays as small
   * as the book. The book drops each order once it stops resting, so most
   * orders die young instead of being copied by the garbage collector.
   */
  readonly #restingById: OrderIdTable<BookOrder>
  /** The remembered ids, resting or not, for duplicate detection. */
  readonly #seenIds: SeenIdWindow
  #lastSeq: number

  constructor(symbol: string, options: OrderBookOptions = {}) {
    this.symbol = symbol
    this.#bids = new BookSide('buy')
    this.#asks = new BookSide('sell')
    this.#restingById = new OrderIdTable()
    this.#seenIds = new SeenIdWindow(seenIdCapacityOf(options))
    this.#lastSeq = -1
  }

  /** Builds a book from restored state. The caller then checks its invariants. */
  static restore(state: RestoredBookState, options: OrderBookOptions = {}): OrderBook {
    const book = new OrderBook(state.symbol, options)
    const restingById = book.#restingById
    book.#lastSeq = state.lastSeq
    for (const order of state.orders) {
      order.idHash = hashOrderId(order.id)
      if (restingById.has(order.id, order.idHash)) {
        throw new Error(`order ${order.id} appears twice in the restored state of ${state.symbol}`)
      }
      book.#sideOf(order.side).getOrCreate(order.priceTicks as number).append(order)
      restingById.set(order.id, order.idHash, order)
    }

    const seenIds = book.#seenIds
    for (const id of state.seenIds) {
      const idHash = hashOrderId(id)
      if (seenIds.has(id, idHash)) {
        throw new Error(`order id ${id} appears twice in the remembered ids of ${state.symbol}`)
      }
      seenIds.add(id, idHash)
    }
    return book
  }

  /** seq of the last command applied, or -1 before the first. */
  get lastSeq(): number {
    return this.#lastSeq
  }

  submit(seq: number, input: NewOrder): CommandResult {
    if (!this.#advance(seq)) {
      return STALE_RESULT
    }

    const priceTicks = isPositiveSafeInteger(input.priceTicks) ? input.priceTicks : null
    const quantityLots = isPositiveSafeInteger(input.quantityLots) ? input.quantityLots : 0
    const order = new BookOrder(
      input.id,
      input.clientId,
      this.symbol,
      input.side,
      input.type,
      input.timeInForce,
      priceTicks,
      quantityLots,
      input.timestampMs,
      seq,
    )

    if (typeof input.id !== 'string' || input.id === '') {
      return this.#reject(order, 'invalid_order')
    }
    const idHash = hashOrderId(input.id)
    if (this.#restingById.has(input.id, idHash) || this.#seenIds.has(input.id, idHash)) {
      return this.#reject(order, 'duplicate_order_id')
    }

    // From here on the id is used up, whatever the outcome.
    this.#seenIds.add(input.id, idHash)
    order.idHash = idHash
    const code = this.#validateNewOrder(input, priceTicks, quantityLots)
    if (code !== null) {
      return this.#reject(order, code)
    }

    if (input.timeInForce === 'FOK' && !this.#canFillCompletely(order)) {
      order.cancelledLots = order.remainingLots
      order.remainingLots = 0
      order.status = 'cancelled'
      order.reason = 'fok_not_fillable'
      return { code: 'ok', order, fills: EMPTY_FILLS }
    }

    const fills = this.#match(order, seq, input.timestampMs)

    const isMarket = input.type === 'market'
    if (order.remainingLots > 0 && !isMarket && input.timeInForce === 'GTC') {
      this.#restingById.set(input.id, idHash, order)
      this.#rest(order)
      return { code: 'ok', order, fills }
    }

    if (order.remainingLots === 0) {
      order.status = 'filled'
    } else {
      order.cancelledLots += order.remainingLots
      order.remainingLots = 0
      order.status = 'cancelled'
      if (isMarket) {
        order.reason = order.filledLots > 0 ? 'market_remainder' : 'no_liquidity'
      } else {
        order.reason = 'ioc_remainder'
      }
    }
    return { code: 'ok', order, fills }
  }

  cancel(seq: number, orderId: string, timestampMs: number): CommandResult {
    if (!this.#advance(seq)) {
      return STALE_RESULT
    }

    const idHash = hashOrderId(orderId)
    const order = this.#restingById.get(orderId, idHash)
    if (order === undefined) {
      return this.#seenIds.has(orderId, idHash) ? ORDER_NOT_ACTIVE_RESULT : UNKNOWN_ORDER_RESULT
    }
    if (!Number.isSafeInteger(timestampMs)) {
      return { code: 'invalid_order', order, fills: EMPTY_FILLS }
    }

    this.#unrest(order)
    this.#retire(order)
    order.cancelledLots += order.remainingLots
    order.remainingLots = 0
    order.status = 'cancelled'
    order.reason = 'cancel_requested'
    order.updatedSeq = seq
    order.updatedMs = timestampMs
    return { code: 'ok', order, fills: EMPTY_FILLS }
  }

  /**
   * Changes the price and/or the remaining quantity of a resting order. A
   * decrease at the same price keeps time priority. Any other change moves
   * the order to the back of its new level. When the new price crosses, the
   * order first matches like an incoming limit order. A change to the
   * current values returns 'ok' and changes nothing, not even updatedSeq.
   */
  modify(seq: number, orderId: string, change: OrderChange, timestampMs: number): CommandResult {
    if (!this.#advance(seq)) {
      return STALE_RESULT
    }

    const idHash = hashOrderId(orderId)
    const order = this.#restingById.get(orderId, idHash)
    if (order === undefined) {
      return this.#seenIds.has(orderId, idHash) ? ORDER_NOT_ACTIVE_RESULT : UNKNOWN_ORDER_RESULT
    }
    const code = this.#validateChange(order, change, timestampMs)
    if (code !== null) {
      return { code, order, fills: EMPTY_FILLS }
    }

    const oldPrice = order.priceTicks as number
    const newPrice = change.priceTicks ?? oldPrice
    const newRemaining = change.quantityLots ?? order.remainingLots
    const delta = newRemaining - order.remainingLots
    const side = this.#sideOf(order.side)
    const level = order.level as PriceLevel

    if (newPrice === oldPrice) {
      if (delta === 0) {
        return { code: 'ok', order, fills: EMPTY_FILLS }
      }
      if (delta > 0 && level.totalLots > MAX_SAFE - delta) {
        return { code: 'level_overflow', order, fills: EMPTY_FILLS }
      }

      if (delta < 0) {
        level.totalLots += delta
        order.remainingLots = newRemaining
        order.cancelledLots -= delta
      } else {
        level.remove(order)
        order.remainingLots = newRemaining
        order.quantityLots += delta
        order.prioritySeq = seq
        level.append(order)
      }
      order.updatedSeq = seq
      order.updatedMs = timestampMs
      return { code: 'ok', order, fills: EMPTY_FILLS }
    }

    // As in submit: an existing level at the new price means no crossing.
    const target = side.get(newPrice)
    if (target !== undefined && target.totalLots > MAX_SAFE - newRemaining) {
      return { code: 'level_overflow', order, fills: EMPTY_FILLS }
    }

    this.#unrest(order)
    if (delta > 0) {
      order.quantityLots += delta
    } else {
      order.cancelledLots -= delta
    }
    order.remainingLots = newRemaining
    order.priceTicks = newPrice
    order.prioritySeq = seq
    order.updatedSeq = seq
    order.updatedMs = timestampMs

    const fills = this.#match(order, seq, timestampMs)
    if (order.remainingLots === 0) {
      order.status = 'filled'
      this.#retire(order)
    } else {
      this.#rest(order)
    }
    return { code: 'ok', order, fills }
  }

  depth(levels: number): Depth {
    return {
      bids: this.#depthOf(this.#bids, levels),
      asks: this.#depthOf(this.#asks, levels),
    }
  }

  level(side: Side, priceTicks: number): { quantityLots: number, orderCount: number } | null {
    const level = this.#sideOf(side).get(priceTicks)
    if (level === undefined) {
      return null
    }
    return { quantityLots: level.totalLots, orderCount: level.orderCount }
  }

  restingOrders(side: Side): Order[] {
    const levels = this.#sideOf(side).levels
    const orders: Order[] = []
    for (let i = levels.length - 1; i >= 0; i--) {
      for (let order = levels[i].head; order !== null; order = order.next) {
        orders.push(order)
      }
    }
    return orders
  }

  getOrder(orderId: string): Order | null {
    return this.#restingById.get(orderId, hashOrderId(orderId)) ?? null
  }

  /** Number of resting orders, counted over the levels in O(levels). */
  get restingOrderCount(): number {
    let count = 0
    for (const side of [this.#bids, this.#asks]) {
      for (const level of side.levels) {
        count += level.orderCount
      }
    }
    return count
  }

  /** Returns one side's levels for snapshots, hashing and invariant checks. Callers must not mutate them. */
  bookSide(side: Side): BookSide {
    return this.#sideOf(side)
  }

  /** Returns the id table's [id, resting order] pairs, for invariant checks. Callers must not mutate them. */
  restingTableEntries(): Iterable<[string, BookOrder]> {
    return this.#restingById.entries()
  }

  /** Returns whether an id is among the remembered ids, for invariant checks. */
  remembers(orderId: string): boolean {
    return this.#seenIds.has(orderId, hashOrderId(orderId))
  }

  /** Number of remembered order ids. */
  get seenIdCount(): number {
    return this.#seenIds.size
  }

  /** Returns the remembered order ids, oldest first. */
  seenIds(): string[] {
    return this.#seenIds.ids()
  }

  #advance(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new RangeError(`seq must be a non-negative safe integer, got ${seq}`)
    }
    if (seq <= this.#lastSeq) {
      return false
    }
    this.#lastSeq = seq
    return true
  }

  #sideOf(side: Side): BookSide {
    return side === 'buy' ? this.#bids : this.#asks
  }

  /** Drops an order that has stopped resting from the id table. */
  #retire(order: BookOrder): void {
    this.#restingById.delete(order.id, order.idHash)
  }

  /** Returns the code for a new order with an invalid field, or null. */
  #validateNewOrder(input: NewOrder, priceTicks: number | null, quantityLots: number): RejectionCode | null {
    if (!isValidNewOrderShape(input)) {
      return 'invalid_order'
    }
    if (input.type === 'market' ? input.priceTicks !== null : priceTicks === null) {
      return 'invalid_price'
    }
    if (quantityLots === 0) {
      return 'invalid_quantity'
    }

    // Only a GTC limit order can rest. A level at its own price means it
    // cannot cross (the book is never crossed), so the whole quantity would
    // join that level and the check is exact.
    if (input.type === 'limit' && input.timeInForce === 'GTC') {
      const ownLevel = this.#sideOf(input.side).get(priceTicks as number)
      if (ownLevel !== undefined && ownLevel.totalLots > MAX_SAFE - quantityLots) {
        return 'level_overflow'
      }
    }
    return null
  }

  #reject(order: BookOrder, code: RejectionCode): CommandResult {
    order.cancelledLots = order.quantityLots
    order.remainingLots = 0
    order.status = 'rejected'
    order.reason = code
    return { code, order, fills: EMPTY_FILLS }
  }

  #validateChange(order: BookOrder, change: OrderChange, timestampMs: number): RejectionCode | null {
    if (!Number.isSafeInteger(timestampMs)) {
      return 'invalid_order'
    }
    if (change.priceTicks === undefined && change.quantityLots === undefined) {
      return 'empty_modify'
    }
    if (change.priceTicks !== undefined && !isPositiveSafeInteger(change.priceTicks)) {
      return 'invalid_price'
    }
    if (change.quantityLots !== undefined) {
      if (!isPositiveSafeInteger(change.quantityLots)) {
        return 'invalid_quantity'
      }
      const delta = change.quantityLots - order.remainingLots
      // NOTE: quantityLots includes the lots cancelled by earlier decreases,
      // so an order cycled down and up again hundreds of times at the largest
      // size fails here although its fills and new remaining lots are valid.
      if (delta > 0 && order.quantityLots > MAX_SAFE - delta) {
        return 'invalid_quantity'
      }
    }
    return null
  }

  /** Appends the order to its level and marks it open or partially filled. */
  #rest(order: BookOrder): void {
    this.#sideOf(order.side).getOrCreate(order.priceTicks as number).append(order)
    order.status = order.filledLots > 0 ? 'partially_filled' : 'open'
  }

  /**
   * Takes a resting order off its level, and the level off the book once
   * empty. The order stays in the id table, so the caller retires it unless
   * it rests again.
   */
  #unrest(order: BookOrder): void {
    const level = order.level as PriceLevel
    level.remove(order)
    if (level.orderCount === 0) {
      this.#sideOf(order.side).removeLevel(level)
    }
  }

  /**
   * Returns whether the opposite side contains the taker's whole remaining
   * quantity at acceptable prices. It only reads, so a FOK order that cannot
   * fill leaves the book untouched.
   */
  #canFillCompletely(taker: BookOrder): boolean {
    const levels = this.#sideOf(taker.side === 'buy' ? 'sell' : 'buy').levels
    const needed = taker.remainingLots
    const limit = taker.priceTicks
    const isBuy = taker.side === 'buy'
    let available = 0
    for (let i = levels.length - 1; i >= 0; i--) {
      const level = levels[i]
      if (limit !== null && (isBuy ? level.priceTicks > limit : level.priceTicks < limit)) {
        return false
      }
      // available stays below needed (a safe integer) until this addition,
      // and rounding cannot take a sum >= needed below it, so the test is exact.
      available += level.totalLots
      if (available >= needed) {
        return true
      }
    }
    return false
  }

  /**
   * Matches the taker against the opposite side, best level first and in
   * queue order within a level, at the maker's price. Stops at the taker's
   * limit (none for a market order) or when the taker is filled. The caller
   * sets the taker's status, and this method sets the makers' statuses.
   */
  #match(taker: BookOrder, seq: number, timestampMs: number): readonly Fill[] {
    const opposite = taker.side === 'buy' ? this.#asks : this.#bids
    const levels = opposite.levels
    const limit = taker.priceTicks
    const isBuy = taker.side === 'buy'
    let fills: Fill[] | null = null

    while (taker.remainingLots > 0 && levels.length > 0) {
      const level = levels[levels.length - 1]
      const priceTicks = level.priceTicks
      if (limit !== null && (isBuy ? priceTicks > limit : priceTicks < limit)) {
        break
      }

      let maker = level.head
      while (maker !== null && taker.remainingLots > 0) {
        const next: BookOrder | null = maker.next
        const lots = maker.remainingLots < taker.remainingLots ? maker.remainingLots : taker.remainingLots

        maker.filledLots += lots
        maker.remainingLots -= lots
        maker.addNotional(priceTicks, lots)
        maker.updatedSeq = seq
        maker.updatedMs = timestampMs
        level.totalLots -= lots
        taker.filledLots += lots
        taker.remainingLots -= lots
        taker.addNotional(priceTicks, lots)

        if (maker.remainingLots === 0) {
          maker.status = 'filled'
          level.remove(maker)
          this.#retire(maker)
        } else {
          maker.status = 'partially_filled'
        }

        if (fills === null) {
          fills = []
        }
        fills.push(new BookFill(this.symbol, seq, fills.length + 1, priceTicks, lots, maker, taker, timestampMs))
        maker = next
      }

      if (level.orderCount === 0) {
        opposite.removeLevel(level)
      }
    }

    return fills ?? EMPTY_FILLS
  }

  #depthOf(side: BookSide, count: number): LevelView[] {
    const levels = side.levels
    const views: LevelView[] = []
    for (let i = levels.length - 1; i >= 0 && views.length < count; i--) {
      const level = levels[i]
      views.push({
        priceTicks: level.priceTicks,
        quantityLots: level.totalLots,
        orderCount: level.orderCount,
      })
    }
    return views
  }
}
