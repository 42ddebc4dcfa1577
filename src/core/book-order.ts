/**
 * The mutable order behind the read-only Order view, with the links of the
 * intrusive FIFO queue of its price level. Only the book mutates it.
 */

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
  notional: bigint
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
    this.notional = 0n
    this.status = 'open'
    this.reason = null
    this.timestampMs = timestampMs
    this.prioritySeq = seq
    this.updatedSeq = seq
    this.updatedMs = timestampMs
    this.prev = null
    this.next = null
    this.level = null
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
