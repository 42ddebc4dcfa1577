/**
 * What the store persists and serves. Decimal values are strings, exactly as
 * the engine formatted them; prices in keys use integer ticks of the symbol.
 */

import type { OrderSource, OrderType, Side, TimeInForce } from '../log/commands.ts'

export type OrderStatus =
  | 'accepted'
  | 'open'
  | 'partially_filled'
  | 'filled'
  | 'cancelled'
  | 'rejected'

export interface OrderRecord {
  id: string
  clientId: string
  clientOrderId?: string
  symbol: string
  side: Side
  type: OrderType
  price: string | null
  quantity: string
  timeInForce: TimeInForce
  status: OrderStatus
  /** Reason the order was rejected or cancelled, e.g. `fok_not_fillable`. */
  reason?: string
  filledQuantity: string
  remainingQuantity: string
  cancelledQuantity: string
  /** Exact notional of the fills: the sum of price × quantity. */
  notional: string
  /** notional / filledQuantity, rounded half-even to 8 decimals; null before the first fill. */
  averagePrice: string | null
  /** True once the order has at least one fill. */
  matched: boolean
  /** Acceptance time (ISO 8601), set by the API. */
  timestamp: string
  /** Time of the command that last changed the order (ISO 8601). */
  updatedAt: string
  /**
   * Offset of the command that last changed the order; -1 for the copy the
   * API writes at acceptance, before the engine has seen it. Writes are
   * guarded so that a stored version never goes down.
   */
  version: number
  source: OrderSource
}

export interface TradeRecord {
  /** `${symbol}:${offset of the taker's command}:${fill index}`, stable across replays. */
  tradeId: string
  symbol: string
  price: string
  quantity: string
  makerOrderId: string
  takerOrderId: string
  makerClientId: string
  takerClientId: string
  takerSide: Side
  timestamp: string
  /** Offset of the command that produced the trade. */
  version: number
}

/** One resting order in the order_book table, keyed for price-time order. */
export interface RestingOrderRecord {
  symbol: string
  side: Side
  priceTicks: number
  price: string
  orderId: string
  clientId: string
  remainingQuantity: string
  /** Offset of the command that gave the order its queue position. */
  prioritySeq: number
  version: number
}

/** The aggregate of one price level; quantity "0" with orderCount 0 deletes it. */
export interface LevelRecord {
  symbol: string
  side: Side
  priceTicks: number
  price: string
  quantity: string
  orderCount: number
  version: number
}

export interface RestingOrderKey {
  symbol: string
  side: Side
  priceTicks: number
  prioritySeq: number
  orderId: string
  version: number
}

/** Everything one batch of commands of one partition changed, already coalesced per item. */
export interface PartitionEffects {
  partition: number
  /** Offset of the last command of the batch. */
  lastOffset: number
  orders: OrderRecord[]
  trades: TradeRecord[]
  restingPuts: RestingOrderRecord[]
  restingDeletes: RestingOrderKey[]
  levels: LevelRecord[]
}

export interface OrderFilter {
  symbol?: string
  status?: OrderStatus
  matched?: boolean
  clientId?: string
}

export interface OrderPage {
  items: OrderRecord[]
  /** Opaque cursor for the next page; absent on the last page. */
  nextCursor?: string
}

export interface BookLevels {
  symbol: string
  bids: LevelRecord[]
  asks: LevelRecord[]
}

export interface Snapshot {
  partition: number
  /** Offset of the last command the snapshot reflects. */
  offset: number
  /** Serialized engine state; the store splits it across items as needed. */
  body: string
}

/**
 * The ownership and persist progress of one partition. Commands before
 * fromOffset have all their effects persisted; fromOffset..toOffset is the
 * batch in flight when the owner last wrote, possibly partly persisted.
 */
export interface PartitionLease {
  partition: number
  /** Fencing token: each instance that takes the partition raises it by one. */
  epoch: number
  fromOffset: number
  /** fromOffset - 1 when no batch has been started. */
  toOffset: number
}

export interface DeadLetter {
  partition: number
  offset: number
  key: string
  /** The record value as base64, since it may not be text. */
  valueBase64: string
  reason: string
  timestamp: string
}

export interface Store {
  /** Creates the tables and indexes when absent (on-demand billing). */
  ensureTables(): Promise<void>
  /** Rejects when the store cannot be reached within its configured timeout. */
  ping(): Promise<void>

  /** Writes the acceptance copy of an order unless any copy already exists. */
  putAcceptedOrder(order: OrderRecord): Promise<void>
  getOrder(id: string): Promise<OrderRecord | null>
  /** Newest first; never a Scan. Throws InvalidCursorError for a bad cursor. */
  listOrders(filter: OrderFilter, limit: number, cursor?: string): Promise<OrderPage>
  tradesByOrder(orderId: string): Promise<TradeRecord[]>
  bookLevels(symbol: string, depth: number): Promise<BookLevels>
  /** Resting orders of one side in price-time order (best price first). */
  restingOrders(symbol: string, side: Side): Promise<RestingOrderRecord[]>

  /** Persists one batch; idempotent, and no item's version ever goes down. */
  persist(effects: PartitionEffects): Promise<void>

  /** Takes the partition with the next epoch, fencing out its previous owner. */
  acquirePartition(partition: number): Promise<PartitionLease>
  /**
   * Records the batch about to be persisted; false when a later epoch owns
   * the partition, in which case the caller must not write for it.
   */
  beginBatch(partition: number, epoch: number, fromOffset: number, toOffset: number): Promise<boolean>

  saveSnapshot(snapshot: Snapshot): Promise<void>
  loadSnapshot(partition: number): Promise<Snapshot | null>
  putDeadLetter(letter: DeadLetter): Promise<void>
  listDeadLetters(partition: number): Promise<DeadLetter[]>

  close(): Promise<void>
}

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this API returned')
    this.name = 'InvalidCursorError'
  }
}
