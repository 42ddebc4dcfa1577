/**
 * Conversion from the core's integer state to the store's records, with
 * decimal strings formatted by the symbol's instrument.
 */

import {
  averagePrice,
  lotsToQuantity,
  notionalToString,
  ticksToPrice,
  type Instrument,
} from '../core/instrument.ts'
import type { Fill, Order } from '../core/types.ts'
import type { OrderSource } from '../log/commands.ts'
import type { OrderRecord, RestingOrderRecord, TradeRecord } from '../store/types.ts'

/** Order fields the store needs and the core does not keep. */
export interface OrderMeta {
  /** Acceptance time exactly as the command carried it. */
  timestamp: string
  clientOrderId?: string
  source: OrderSource
}

export function toIso(timestampMs: number): string {
  return new Date(timestampMs).toISOString()
}

export function toOrderRecord(instrument: Instrument, order: Order, meta: OrderMeta): OrderRecord {
  const record: OrderRecord = {
    id: order.id,
    clientId: order.clientId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    price: order.priceTicks === null ? null : ticksToPrice(instrument, order.priceTicks),
    quantity: lotsToQuantity(instrument, order.quantityLots),
    timeInForce: order.timeInForce,
    status: order.status,
    filledQuantity: lotsToQuantity(instrument, order.filledLots),
    remainingQuantity: lotsToQuantity(instrument, order.remainingLots),
    cancelledQuantity: lotsToQuantity(instrument, order.cancelledLots),
    notional: notionalToString(instrument, order.notional),
    averagePrice: averagePrice(instrument, order.notional, order.filledLots),
    matched: order.filledLots > 0,
    timestamp: meta.timestamp,
    updatedAt: toIso(order.updatedMs),
    version: order.updatedSeq,
    source: meta.source,
  }

  if (order.reason !== null) record.reason = order.reason
  if (meta.clientOrderId !== undefined) record.clientOrderId = meta.clientOrderId
  return record
}

export function toTradeRecord(instrument: Instrument, fill: Fill): TradeRecord {
  return {
    tradeId: fill.tradeId,
    symbol: fill.symbol,
    price: ticksToPrice(instrument, fill.priceTicks),
    quantity: lotsToQuantity(instrument, fill.quantityLots),
    makerOrderId: fill.makerOrderId,
    takerOrderId: fill.takerOrderId,
    makerClientId: fill.makerClientId,
    takerClientId: fill.takerClientId,
    takerSide: fill.takerSide,
    timestamp: toIso(fill.timestampMs),
    version: fill.seq,
  }
}

export function toRestingRecord(instrument: Instrument, order: Order): RestingOrderRecord {
  const priceTicks = order.priceTicks as number
  return {
    symbol: order.symbol,
    side: order.side,
    priceTicks,
    price: ticksToPrice(instrument, priceTicks),
    orderId: order.id,
    clientId: order.clientId,
    remainingQuantity: lotsToQuantity(instrument, order.remainingLots),
    prioritySeq: order.prioritySeq,
    version: order.updatedSeq,
  }
}

/** True while the order sits on the book. */
export function isResting(order: Order): boolean {
  return order.remainingLots > 0 && (order.status === 'open' || order.status === 'partially_filled')
}
