/**
 * Public types of the matching core. Prices are integer ticks and quantities
 * integer lots of the symbol's instrument, both safe integers. Notional is
 * the exact sum of priceTicks × lots over fills, as a bigint.
 */

export type Side = 'buy' | 'sell'
export type OrderType = 'limit' | 'market'
export type TimeInForce = 'GTC' | 'IOC' | 'FOK'

export type OrderStatus =
  | 'open'
  | 'partially_filled'
  | 'filled'
  | 'cancelled'
  | 'rejected'

/**
 * Code of a command the core rejects. No resting order changes after any of
 * them, but a rejected submit with a non-empty id still uses up that id.
 */
export type RejectionCode =
  /** seq is not above the last seq this book or engine applied. */
  | 'stale_sequence'
  /** Empty id or clientId, unknown side, type or timeInForce, or a timestamp that is not a safe integer. */
  | 'invalid_order'
  /** The id is resting, or an earlier submit (even a rejected one) used it. */
  | 'duplicate_order_id'
  /** A limit order without a price, a market order with one, or a price that is not a positive safe integer. */
  | 'invalid_price'
  /** A quantity that is not a positive safe integer, or a modify that would make the order's quantity unsafe. */
  | 'invalid_quantity'
  /** Resting the order would push its level's total past Number.MAX_SAFE_INTEGER. */
  | 'level_overflow'
  /** No order with this id was ever seen by the book. */
  | 'unknown_order'
  /** The order was seen but is no longer resting (filled, cancelled, rejected, or never rested). */
  | 'order_not_active'
  /** A modify with neither priceTicks nor quantityLots. */
  | 'empty_modify'

export type ResultCode = 'ok' | RejectionCode

/** Reason an order was cancelled or rejected. A rejected order carries its RejectionCode. */
export type OrderReason =
  | 'cancel_requested'
  | 'ioc_remainder'
  | 'fok_not_fillable'
  | 'market_remainder'
  | 'no_liquidity'
  | RejectionCode

/** A new order as the engine hands it to the core. */
export interface NewOrder {
  id: string
  clientId: string
  side: Side
  type: OrderType
  /** Limit price in ticks, or null for a market order. */
  priceTicks: number | null
  quantityLots: number
  timeInForce: TimeInForce
  /** Acceptance time of the command, in milliseconds since the epoch. */
  timestampMs: number
}

/** A modify request. quantityLots is the new remaining (open) quantity. */
export interface OrderChange {
  priceTicks?: number
  quantityLots?: number
}

/**
 * Read-only view of an order. The core mutates the underlying object as the
 * order trades, so a reference read later shows the later state.
 * Invariant: filledLots + remainingLots + cancelledLots = quantityLots.
 */
export interface Order {
  readonly id: string
  readonly clientId: string
  readonly symbol: string
  readonly side: Side
  readonly type: OrderType
  readonly timeInForce: TimeInForce
  /** null for a market order, and for a rejected order whose price was invalid. */
  readonly priceTicks: number | null
  /**
   * Submitted quantity, grown by any modify that raised the remaining
   * quantity. 0 for a rejected order whose quantity was invalid.
   */
  readonly quantityLots: number
  readonly filledLots: number
  /** Quantity open on the book, 0 once the order is no longer resting. */
  readonly remainingLots: number
  /** Quantity removed by cancels, modify decreases, IOC/FOK/market remainders and rejection. */
  readonly cancelledLots: number
  /** Sum of priceTicks × lots over the order's fills. */
  readonly notional: bigint
  readonly status: OrderStatus
  readonly reason: OrderReason | null
  readonly timestampMs: number
  /** seq of the command that gave the order its place in the queue of its level. */
  readonly prioritySeq: number
  /** seq of the last command that changed the order. */
  readonly updatedSeq: number
  /** timestampMs of the last command that changed the order. */
  readonly updatedMs: number
}

/** An Order as plain JSON, with notional as a decimal integer string. */
export type OrderJson = Omit<Order, 'notional'> & { readonly notional: string }

export interface Fill {
  /** `${symbol}:${seq}:${n}`, n counting 1, 2, ... within the command. */
  readonly tradeId: string
  readonly symbol: string
  /** The maker's price: a trade always prints at the resting order's price. */
  readonly priceTicks: number
  readonly quantityLots: number
  readonly makerOrderId: string
  readonly takerOrderId: string
  readonly makerClientId: string
  readonly takerClientId: string
  readonly takerSide: Side
  readonly timestampMs: number
  readonly seq: number
  /** The live maker order, so the caller can read its state after the command. */
  readonly maker: Order
}

/**
 * Outcome of one command. `order` is the subject order after the command, or
 * null when the id is unknown, the order is no longer resting, or the
 * sequence is stale. For 'duplicate_order_id' it is a detached rejected order
 * that shares its id with the earlier order, so a caller must not store it in
 * place of that order.
 */
export interface CommandResult {
  readonly code: ResultCode
  readonly order: Order | null
  /** Shared frozen empty array when the command traded nothing. */
  readonly fills: readonly Fill[]
}

export interface LevelView {
  readonly priceTicks: number
  readonly quantityLots: number
  readonly orderCount: number
}

export interface Depth {
  /** Best (highest) price first. */
  readonly bids: LevelView[]
  /** Best (lowest) price first. */
  readonly asks: LevelView[]
}

/** The command and query surface shared by the fast book and the reference book. */
export interface OrderBookApi {
  readonly symbol: string
  readonly lastSeq: number
  submit(seq: number, order: NewOrder): CommandResult
  cancel(seq: number, orderId: string, timestampMs: number): CommandResult
  modify(seq: number, orderId: string, change: OrderChange, timestampMs: number): CommandResult
  depth(levels: number): Depth
  level(side: Side, priceTicks: number): { quantityLots: number, orderCount: number } | null
  /** Resting orders of one side in price-time order, best price first. */
  restingOrders(side: Side): Order[]
  /** The resting order with this id, or null when it is not resting. */
  getOrder(orderId: string): Order | null
}

export const EMPTY_FILLS: readonly Fill[] = Object.freeze([])

/** Number of order ids a book remembers for duplicate detection unless told otherwise. */
export const DEFAULT_SEEN_ID_CAPACITY = 100_000
