/**
 * Command builders and a runner shared by the core tests. Each command gets
 * seq = its position (1, 2, ...) and timestampMs = 1000 + seq unless given.
 */

import { orderToJson } from '../../../src/core/book-order.ts'
import { OrderBook } from '../../../src/core/order-book.ts'
import { ReferenceBook } from '../../../src/core/reference-book.ts'
import type {
  CommandResult,
  NewOrder,
  Order,
  OrderBookApi,
  OrderChange,
  OrderJson,
  Side,
  TimeInForce,
} from '../../../src/core/types.ts'

export type TestCommand =
  | { kind: 'submit', order: NewOrder }
  | { kind: 'cancel', orderId: string, timestampMs?: number }
  | { kind: 'modify', orderId: string, change: OrderChange, timestampMs?: number }

/** Builds a GTC limit order with timestampMs 1, for tests that call a book directly. */
export function gtcOrder(id: string, side: Side, priceTicks: number, quantityLots: number): NewOrder {
  return {
    id,
    clientId: `client-${id}`,
    side,
    type: 'limit',
    priceTicks,
    quantityLots,
    timeInForce: 'GTC',
    timestampMs: 1,
  }
}

export function limit(
  id: string,
  side: Side,
  priceTicks: number,
  quantityLots: number,
  timeInForce: TimeInForce = 'GTC',
): TestCommand {
  return {
    kind: 'submit',
    order: {
      id,
      clientId: `client-${id}`,
      side,
      type: 'limit',
      priceTicks,
      quantityLots,
      timeInForce,
      timestampMs: 0,
    },
  }
}

export function market(
  id: string,
  side: Side,
  quantityLots: number,
  timeInForce: TimeInForce = 'IOC',
): TestCommand {
  return {
    kind: 'submit',
    order: {
      id,
      clientId: `client-${id}`,
      side,
      type: 'market',
      priceTicks: null,
      quantityLots,
      timeInForce,
      timestampMs: 0,
    },
  }
}

/** Builds a submit with arbitrary, possibly invalid, field values. */
export function rawSubmit(fields: Partial<Record<keyof NewOrder, unknown>>): TestCommand {
  const order = {
    id: 'x',
    clientId: 'client-x',
    side: 'buy',
    type: 'limit',
    priceTicks: 100,
    quantityLots: 1,
    timeInForce: 'GTC',
    timestampMs: 0,
    ...fields,
  }
  return { kind: 'submit', order: order as NewOrder }
}

export function cancel(orderId: string): TestCommand {
  return { kind: 'cancel', orderId }
}

export function modify(orderId: string, change: OrderChange): TestCommand {
  return { kind: 'modify', orderId, change }
}

export function applyCommand(book: OrderBookApi, seq: number, command: TestCommand): CommandResult {
  const timestampMs = 1000 + seq
  switch (command.kind) {
    case 'submit': {
      const order = command.order.timestampMs === 0
        ? { ...command.order, timestampMs }
        : command.order
      return book.submit(seq, order)
    }
    case 'cancel':
      return book.cancel(seq, command.orderId, command.timestampMs ?? timestampMs)
    case 'modify':
      return book.modify(seq, command.orderId, command.change, command.timestampMs ?? timestampMs)
  }
}

export interface Implementation {
  name: string
  create(symbol: string, seenIdCapacity?: number): OrderBookApi
}

export const IMPLEMENTATIONS: Implementation[] = [
  { name: 'OrderBook', create: (symbol, seenIdCapacity) => new OrderBook(symbol, { seenIdCapacity }) },
  { name: 'ReferenceBook', create: (symbol, seenIdCapacity) => new ReferenceBook(symbol, { seenIdCapacity }) },
]

/** Levels as [priceTicks, quantityLots, orderCount], best first. */
export type LevelTuple = [number, number, number]

export function depthTuples(book: OrderBookApi): { bids: LevelTuple[], asks: LevelTuple[] } {
  const depth = book.depth(Number.MAX_SAFE_INTEGER)
  return {
    bids: depth.bids.map((level) => [level.priceTicks, level.quantityLots, level.orderCount]),
    asks: depth.asks.map((level) => [level.priceTicks, level.quantityLots, level.orderCount]),
  }
}

export interface SerializedFill {
  tradeId: string
  priceTicks: number
  quantityLots: number
  makerOrderId: string
  takerOrderId: string
  makerClientId: string
  takerClientId: string
  takerSide: Side
  timestampMs: number
  seq: number
  symbol: string
  maker: OrderJson
}

export interface SerializedResult {
  code: string
  order: OrderJson | null
  fills: SerializedFill[]
}

/** Copies a result, including the state of live orders right now, into plain data. */
export function serializeResult(result: CommandResult): SerializedResult {
  return {
    code: result.code,
    order: result.order === null ? null : orderToJson(result.order),
    fills: result.fills.map((fill) => ({
      tradeId: fill.tradeId,
      priceTicks: fill.priceTicks,
      quantityLots: fill.quantityLots,
      makerOrderId: fill.makerOrderId,
      takerOrderId: fill.takerOrderId,
      makerClientId: fill.makerClientId,
      takerClientId: fill.takerClientId,
      takerSide: fill.takerSide,
      timestampMs: fill.timestampMs,
      seq: fill.seq,
      symbol: fill.symbol,
      maker: orderToJson(fill.maker),
    })),
  }
}

export function restingIds(book: OrderBookApi, side: Side): string[] {
  return book.restingOrders(side).map((order: Order) => order.id)
}
