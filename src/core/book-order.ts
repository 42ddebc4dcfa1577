/**
 * The mutable order behind the read-only Order view, with the links of the
 * intrusive FIFO queue of its price level. Only the book mutates it.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER

import type { PriceLevel } from './price-level.ts'
import type {
  Order,
  OrderJson,
  OrderReason,
  OrderStatus,
  OrderType,
  Side,
  TimeInForce,
} from './types.ts'

export class BookOrder implements Order {
  id: string
  clientId: string
  symbol: string
  side: Side
  type: OrderType
  timeInForce: TimeInForce
  priceTicks: number | null
  quantityLots: number
  filledLots: number
  remainingLots: number
  cancelledLots: number
  /**
   * The notional is notionalCarry + notionalSafe. Fills add to the number
   * while the sum stays a safe integer, so most orders never allocate a
   * bigint, and move it into the bigint carry when it would not.
   */
  notionalSafe: number
  notionalCarry: bigint
  status: OrderStatus
  reason: OrderReason | null
  timestampMs: number
  prioritySeq: number
  updatedSeq: number
  updatedMs: number

  /** Neighbours in the level's queue, both null when the order is not resting. */
  prev: BookOrder | null
  next: BookOrder | null
  level: PriceLevel | null
  /** hashOrderId(id), set by the book when the order enters its id table. */
  idHash: number

  constructor(
    id: string,
    clientId: string,
    symbol: string,
    side: Side,
    type: OrderType,
    timeInForce: TimeInForce,
    priceTicks: number | null,
    quantityLots: number,
    timestampMs: number,
    seq: number,
  ) {
    this.id = id
    this.clientId = clientId
    this.symbol = symbol
    this.side = side
    this.type = type
    this.timeInForce = timeInForce
    this.priceTicks = priceTicks
    this.quantityLots = quantityLots
    this.filledLots = 0
    this.remainingLots = quantityLots
    this.cancelledLots = 0
    this.notionalSafe = 0
    this.notionalCarry = 0n
    this.status = 'open'
    this.reason = null
    this.timestampMs = timestampMs
    this.prioritySeq = seq
    this.updatedSeq = seq
    this.updatedMs = timestampMs
    this.prev = null
    this.next = null
    this.level = null
    this.idHash = 0
  }

  get notional(): bigint {
    if (this.notionalCarry === 0n) {
      return BigInt(this.notionalSafe)
    }
    return this.notionalCarry + BigInt(this.notionalSafe)
  }

  set notional(value: bigint) {
    this.notionalCarry = value
    this.notionalSafe = 0
  }

  /** Adds priceTicks × lots to the notional, exactly. */
  addNotional(priceTicks: number, lots: number): void {
    // A product or sum of safe integers rounds to at most MAX_SAFE exactly
    // when its true value is at most MAX_SAFE, so both tests are exact.
    const product = priceTicks * lots
    const sum = this.notionalSafe + product
    if (product <= MAX_SAFE && sum <= MAX_SAFE) {
      this.notionalSafe = sum
      return
    }
    this.notionalCarry += BigInt(this.notionalSafe) + BigInt(priceTicks) * BigInt(lots)
    this.notionalSafe = 0
  }

  /** Keeps JSON.stringify away from the bigint and the circular queue links. */
  toJSON(): OrderJson {
    return orderToJson(this)
  }
}

/** Copies the view fields of an order into a JSON-safe object. */
export function orderToJson(order: Order): OrderJson {
  return {
    id: order.id,
    clientId: order.clientId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    priceTicks: order.priceTicks,
    quantityLots: order.quantityLots,
    filledLots: order.filledLots,
    remainingLots: order.remainingLots,
    cancelledLots: order.cancelledLots,
    notional: order.notional.toString(),
    status: order.status,
    reason: order.reason,
    timestampMs: order.timestampMs,
    prioritySeq: order.prioritySeq,
    updatedSeq: order.updatedSeq,
    updatedMs: order.updatedMs,
  }
}
