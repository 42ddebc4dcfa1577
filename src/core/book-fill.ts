/**
 * The Fill the book hands out. Its trade id string is formatted when read,
 * not when the fill is made, so a caller that never reads it pays nothing.
 */

import type { BookOrder } from './book-order.ts'
import type { Fill, Side } from './types.ts'

export class BookFill implements Fill {
  readonly symbol: string
  readonly seq: number
  /** Position of the fill within its command: 1, 2, ... */
  readonly number: number
  readonly priceTicks: number
  readonly quantityLots: number
  readonly makerOrderId: string
  readonly takerOrderId: string
  readonly makerClientId: string
  readonly takerClientId: string
  readonly takerSide: Side
  readonly timestampMs: number
  readonly maker: BookOrder

  constructor(
    symbol: string,
    seq: number,
    number: number,
    priceTicks: number,
    quantityLots: number,
    maker: BookOrder,
    taker: BookOrder,
    timestampMs: number,
  ) {
    this.symbol = symbol
    this.seq = seq
    this.number = number
    this.priceTicks = priceTicks
    this.quantityLots = quantityLots
    this.makerOrderId = maker.id
    this.takerOrderId = taker.id
    this.makerClientId = maker.clientId
    this.takerClientId = taker.clientId
    this.takerSide = taker.side
    this.timestampMs = timestampMs
    this.maker = maker
  }

  get tradeId(): string {
    return `${this.symbol}:${this.seq}:${this.number}`
  }

  /** Keeps tradeId in JSON, which skips getters, and the maker as its view fields. */
  toJSON(): Omit<Fill, 'maker'> & { maker: ReturnType<BookOrder['toJSON']> } {
    return {
      tradeId: this.tradeId,
      symbol: this.symbol,
      priceTicks: this.priceTicks,
      quantityLots: this.quantityLots,
      makerOrderId: this.makerOrderId,
      takerOrderId: this.takerOrderId,
      makerClientId: this.makerClientId,
      takerClientId: this.takerClientId,
      takerSide: this.takerSide,
      timestampMs: this.timestampMs,
      seq: this.seq,
      maker: this.maker.toJSON(),
    }
  }
}
