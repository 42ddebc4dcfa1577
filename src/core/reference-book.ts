/**
 * A slow, plain matcher with the same interface and rules as OrderBook, used
 * by tests to cross-check it. It keeps resting orders in one unsorted array
 * and sorts candidates by price, then prioritySeq, on every command. Queue
 * position equals prioritySeq order because seqs increase strictly and an
 * order gets a new prioritySeq exactly when it joins the back of a queue.
 * Sums use bigint, so they are exact whatever their size.
 */

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
  type OrderReason,
  type OrderStatus,
  type RejectionCode,
  type Side,
} from './types.ts'

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type ReferenceOrder = Mutable<Order>

function isPositiveSafeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0
}

export class ReferenceBook implements OrderBookApi {
  readonly symbol: string
  lastSeq = -1
  #resting: ReferenceOrder[] = []
  /** Oldest first. */
  #seen: string[] = []
  #seenIdCapacity: number

  constructor(symbol: string, options: { seenIdCapacity?: number } = {}) {
    this.symbol = symbol
    this.#seenIdCapacity = options.seenIdCapacity ?? DEFAULT_SEEN_ID_CAPACITY
  }

  submit(seq: number, input: NewOrder): CommandResult {
    if (!this.#accept(seq)) {
      return { code: 'stale_sequence', order: null, fills: EMPTY_FILLS }
    }

    const quantityLots = isPositiveSafeInteger(input.quantityLots) ? input.quantityLots : 0
    const order: ReferenceOrder = {
      id: input.id,
      clientId: input.clientId,
      symbol: this.symbol,
      side: input.side,
      type: input.type,
      timeInForce: input.timeInForce,
      priceTicks: isPositiveSafeInteger(input.priceTicks) ? input.priceTicks : null,
      quantityLots,
      filledLots: 0,
      remainingLots: quantityLots,
      cancelledLots: 0,
      notional: 0n,
      status: 'open',
      reason: null,
      timestampMs: input.timestampMs,
      prioritySeq: seq,
      updatedSeq: seq,
      updatedMs: input.timestampMs,
    }

    if (typeof input.id !== 'string' || input.id === '') {
      return this.#reject(order, 'invalid_order')
    }
    if (this.#seen.includes(input.id) || this.#find(input.id) !== undefined) {
      return this.#reject(order, 'duplicate_order_id')
    }
    this.#seen.push(input.id)
    if (this.#seen.length > this.#seenIdCapacity) {
      this.#seen.shift()
    }

    const validShape =
      typeof input.clientId === 'string' &&
      input.clientId !== '' &&
      ['buy', 'sell'].includes(input.side) &&
      ['limit', 'market'].includes(input.type) &&
      ['GTC', 'IOC', 'FOK'].includes(input.timeInForce) &&
      Number.isSafeInteger(input.timestampMs)
    if (!validShape) {
      return this.#reject(order, 'invalid_order')
    }
    if (input.type === 'market' && input.priceTicks !== null) {
      return this.#reject(order, 'invalid_price')
    }
    if (input.type === 'limit' && order.priceTicks === null) {
      return this.#reject(order, 'invalid_price')
    }
    if (quantityLots === 0) {
      return this.#reject(order, 'invalid_quantity')
    }

    // The whole quantity is checked against the level at the order's price:
    // if that level exists the order cannot cross, so all of it would rest.
    const rests = input.type === 'limit' && input.timeInForce === 'GTC'
    if (rests && this.#levelTotal(order.side, order.priceTicks as number) + BigInt(quantityLots) > MAX_SAFE) {
      return this.#reject(order, 'level_overflow')
    }

    if (input.timeInForce === 'FOK') {
      let available = 0n
      for (const maker of this.#crossing(order)) {
        available += BigInt(maker.remainingLots)
      }
      if (available < BigInt(quantityLots)) {
        this.#cancelRemainder(order, 'fok_not_fillable')
        return { code: 'ok', order, fills: EMPTY_FILLS }
      }
    }

    const fills = this.#match(order, seq, input.timestampMs)
    if (order.remainingLots === 0) {
      order.status = 'filled'
    } else if (rests) {
      this.#rest(order)
    } else if (input.type === 'market') {
      this.#cancelRemainder(order, order.filledLots > 0 ? 'market_remainder' : 'no_liquidity')
    } else {
      this.#cancelRemainder(order, 'ioc_remainder')
    }
    return { code: 'ok', order, fills }
  }

  cancel(seq: number, orderId: string, timestampMs: number): CommandResult {
    if (!this.#accept(seq)) {
      return { code: 'stale_sequence', order: null, fills: EMPTY_FILLS }
    }

    const order = this.#find(orderId)
    if (order === undefined) {
      return { code: this.#notRestingCode(orderId), order: null, fills: EMPTY_FILLS }
    }
    if (!Number.isSafeInteger(timestampMs)) {
      return { code: 'invalid_order', order, fills: EMPTY_FILLS }
    }

    this.#resting = this.#resting.filter((resting) => resting !== order)
    this.#cancelRemainder(order, 'cancel_requested')
    order.updatedSeq = seq
    order.updatedMs = timestampMs
    return { code: 'ok', order, fills: EMPTY_FILLS }
  }

  modify(seq: number, orderId: string, change: OrderChange, timestampMs: number): CommandResult {
    if (!this.#accept(seq)) {
      return { code: 'stale_sequence', order: null, fills: EMPTY_FILLS }
    }

    const order = this.#find(orderId)
    if (order === undefined) {
      return { code: this.#notRestingCode(orderId), order: null, fills: EMPTY_FILLS }
    }
    const reject = (code: RejectionCode): CommandResult => ({ code, order, fills: EMPTY_FILLS })
    if (!Number.isSafeInteger(timestampMs)) {
      return reject('invalid_order')
    }
    if (change.priceTicks === undefined && change.quantityLots === undefined) {
      return reject('empty_modify')
    }
    if (change.priceTicks !== undefined && !isPositiveSafeInteger(change.priceTicks)) {
      return reject('invalid_price')
    }
    if (change.quantityLots !== undefined && !isPositiveSafeInteger(change.quantityLots)) {
      return reject('invalid_quantity')
    }

    const oldPrice = order.priceTicks as number
    const newPrice = change.priceTicks ?? oldPrice
    const newRemaining = change.quantityLots ?? order.remainingLots
    const delta = BigInt(newRemaining) - BigInt(order.remainingLots)
    if (BigInt(order.quantityLots) + delta > MAX_SAFE) {
      return reject('invalid_quantity')
    }
    if (newPrice === oldPrice && delta === 0n) {
      return { code: 'ok', order, fills: EMPTY_FILLS }
    }

    const levelTotal = this.#levelTotal(order.side, newPrice)
    const levelAfter = newPrice === oldPrice
      ? levelTotal + delta
      : levelTotal + BigInt(newRemaining)
    if (levelAfter > MAX_SAFE) {
      return reject('level_overflow')
    }

    if (delta > 0n) {
      order.quantityLots += Number(delta)
    } else {
      order.cancelledLots -= Number(delta)
    }
    order.remainingLots = newRemaining
    order.updatedSeq = seq
    order.updatedMs = timestampMs
    if (newPrice === oldPrice && delta < 0n) {
      return { code: 'ok', order, fills: EMPTY_FILLS }
    }

    // Any other change re-enters the order like a new limit order.
    this.#resting = this.#resting.filter((resting) => resting !== order)
    order.priceTicks = newPrice
    order.prioritySeq = seq
    const fills = this.#match(order, seq, timestampMs)
    if (order.remainingLots === 0) {
      order.status = 'filled'
    } else {
      this.#rest(order)
    }
    return { code: 'ok', order, fills }
  }

  depth(levels: number): Depth {
    return { bids: this.#depthOf('buy', levels), asks: this.#depthOf('sell', levels) }
  }

  level(side: Side, priceTicks: number): { quantityLots: number, orderCount: number } | null {
    const orders = this.#resting.filter((order) => order.side === side && order.priceTicks === priceTicks)
    if (orders.length === 0) {
      return null
    }
    const quantityLots = orders.reduce((sum, order) => sum + order.remainingLots, 0)
    return { quantityLots, orderCount: orders.length }
  }

  restingOrders(side: Side): Order[] {
    return this.#resting
      .filter((order) => order.side === side)
      .sort((a, b) => {
        const byPrice = side === 'buy'
          ? (b.priceTicks as number) - (a.priceTicks as number)
          : (a.priceTicks as number) - (b.priceTicks as number)
        return byPrice !== 0 ? byPrice : a.prioritySeq - b.prioritySeq
      })
  }

  getOrder(orderId: string): Order | null {
    return this.#find(orderId) ?? null
  }

  #accept(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new RangeError(`seq must be a non-negative safe integer, got ${seq}`)
    }
    if (seq <= this.lastSeq) {
      return false
    }
    this.lastSeq = seq
    return true
  }

  #find(orderId: string): ReferenceOrder | undefined {
    return this.#resting.find((order) => order.id === orderId)
  }

  #notRestingCode(orderId: string): RejectionCode {
    return this.#seen.includes(orderId) ? 'order_not_active' : 'unknown_order'
  }

  #levelTotal(side: Side, priceTicks: number): bigint {
    let total = 0n
    for (const order of this.#resting) {
      if (order.side === side && order.priceTicks === priceTicks) {
        total += BigInt(order.remainingLots)
      }
    }
    return total
  }

  #reject(order: ReferenceOrder, code: RejectionCode): CommandResult {
    order.status = 'rejected'
    order.reason = code
    order.cancelledLots = order.quantityLots
    order.remainingLots = 0
    return { code, order, fills: EMPTY_FILLS }
  }

  #cancelRemainder(order: ReferenceOrder, reason: OrderReason): void {
    order.cancelledLots += order.remainingLots
    order.remainingLots = 0
    order.status = 'cancelled'
    order.reason = reason
  }

  #rest(order: ReferenceOrder): void {
    const status: OrderStatus = order.filledLots > 0 ? 'partially_filled' : 'open'
    order.status = status
    this.#resting.push(order)
  }

  /** Opposite-side resting orders the taker may trade with, in matching order. */
  #crossing(taker: ReferenceOrder): ReferenceOrder[] {
    const opposite: Side = taker.side === 'buy' ? 'sell' : 'buy'
    const limit = taker.priceTicks
    return this.restingOrders(opposite).filter((maker) => {
      const price = maker.priceTicks as number
      if (limit === null) {
        return true
      }
      return taker.side === 'buy' ? price <= limit : price >= limit
    }) as ReferenceOrder[]
  }

  #match(taker: ReferenceOrder, seq: number, timestampMs: number): readonly Fill[] {
    const fills: Fill[] = []
    for (const maker of this.#crossing(taker)) {
      if (taker.remainingLots === 0) {
        break
      }

      const lots = Math.min(maker.remainingLots, taker.remainingLots)
      const priceTicks = maker.priceTicks as number
      const notional = BigInt(priceTicks) * BigInt(lots)
      maker.filledLots += lots
      maker.remainingLots -= lots
      maker.notional += notional
      maker.status = maker.remainingLots === 0 ? 'filled' : 'partially_filled'
      maker.updatedSeq = seq
      maker.updatedMs = timestampMs
      taker.filledLots += lots
      taker.remainingLots -= lots
      taker.notional += notional
      if (maker.remainingLots === 0) {
        this.#resting = this.#resting.filter((resting) => resting !== maker)
      }

      fills.push({
        tradeId: `${this.symbol}:${seq}:${fills.length + 1}`,
        symbol: this.symbol,
        priceTicks,
        quantityLots: lots,
        makerOrderId: maker.id,
        takerOrderId: taker.id,
        makerClientId: maker.clientId,
        takerClientId: taker.clientId,
        takerSide: taker.side,
        timestampMs,
        seq,
        maker,
      })
    }
    return fills.length === 0 ? EMPTY_FILLS : fills
  }

  #depthOf(side: Side, count: number): LevelView[] {
    const views: LevelView[] = []
    for (const order of this.restingOrders(side)) {
      const last = views[views.length - 1]
      if (last !== undefined && last.priceTicks === order.priceTicks) {
        views[views.length - 1] = {
          priceTicks: last.priceTicks,
          quantityLots: last.quantityLots + order.remainingLots,
          orderCount: last.orderCount + 1,
        }
      } else if (views.length < count) {
        views.push({ priceTicks: order.priceTicks as number, quantityLots: order.remainingLots, orderCount: 1 })
      } else {
        break
      }
    }
    return views
  }
}
