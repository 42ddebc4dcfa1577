/**
 * Drivers that apply one command of an OrderFlow to a book: our
 * MatchingEngine and the npm package nodejs-order-book (the peer). Each
 * driver is a closure over a fresh book, so a run is a plain loop of calls
 * that both books pay for alike.
 *
 * The peer differs from our core on one command kind: its modify always
 * cancels and re-adds the order, so a quantity decrease at the same price
 * loses time priority, where ours keeps it. The peer driver maps that case
 * to the peer's own in-place size update (OrderSide.updateOrderSize, which
 * keeps the queue position), and a modify that changes nothing to no call.
 * Every other command maps one to one: GTC and IOC limit orders to limit(),
 * cancels to cancel(), other modifies to modify().
 */

import { createHash, type Hash } from 'node:crypto'
import { OrderBook as PeerOrderBook, Side as PeerSide } from 'nodejs-order-book'
import type { IProcessOrder, LimitOrderOptions } from 'nodejs-order-book'
import { MatchingEngine } from '../src/core/matching-engine.ts'
import { EMPTY_FILLS, type Fill, type OrderChange } from '../src/core/types.ts'
import { KIND_CANCEL, KIND_IOC, KIND_LIMIT, KIND_MODIFY, SIDE_BUY, type OrderFlow } from './flow-generator.ts'

const SYMBOL = 'BENCH'
const CLIENT_ID = 'bench-client'
/** Any fixed epoch keeps timestamps safe integers; the core never reads a clock. */
const START_MS = Date.UTC(2030, 0, 1)

// The peer's TimeInForce enum is not exported from its entry point (10.1.1).
type PeerTimeInForce = NonNullable<LimitOrderOptions['timeInForce']>
const PEER_GTC = 'GTC' as PeerTimeInForce
const PEER_IOC = 'IOC' as PeerTimeInForce

export type ApplyCommand = (index: number) => void

/** Trade count, total lots and a SHA-256 over (price, lots, maker id, taker id) in order. */
export interface TradeDigest {
  trades: number
  lots: number
  hash: string
}

/** Collects the trades of a run, with a digest taken after a chosen command too. */
export class TradeRecorder {
  #hash: Hash = createHash('sha256')
  #trades = 0
  #lots = 0
  #prefixEnd: number
  #prefixDigest: TradeDigest | null = null

  /** prefixEnd: the number of commands after which prefixDigest is taken. */
  constructor(prefixEnd: number) {
    this.#prefixEnd = prefixEnd
  }

  add(priceTicks: number, lots: number, makerId: string, takerId: string): void {
    this.#hash.update(`${priceTicks},${lots},${makerId},${takerId};`)
    this.#trades++
    this.#lots += lots
  }

  /** Called after every command, so the prefix digest lands at the right place. */
  afterCommand(index: number): void {
    if (index + 1 === this.#prefixEnd) {
      this.#prefixDigest = this.#digestOf(this.#hash.copy())
    }
  }

  get prefixDigest(): TradeDigest | null {
    return this.#prefixDigest
  }

  digest(): TradeDigest {
    return this.#digestOf(this.#hash.copy())
  }

  #digestOf(hash: Hash): TradeDigest {
    return { trades: this.#trades, lots: this.#lots, hash: hash.digest('hex').slice(0, 16) }
  }
}

/** Returns an applier of the flow's commands to a fresh MatchingEngine; seq = command index. */
export function createCoreDriver(flow: OrderFlow, recorder: TradeRecorder | null): ApplyCommand {
  const engine = new MatchingEngine()
  const { kinds, sides, orderRefs, priceTicks, quantityLots, orderIds } = flow

  const record = (fills: readonly Fill[], index: number): void => {
    if (recorder === null) return
    for (const fill of fills) {
      recorder.add(fill.priceTicks, fill.quantityLots, fill.makerOrderId, fill.takerOrderId)
    }
    recorder.afterCommand(index)
  }

  return (index) => {
    const kind = kinds[index]
    const id = orderIds[orderRefs[index]]
    const timestampMs = START_MS + index

    if (kind === KIND_LIMIT || kind === KIND_IOC) {
      const result = engine.submit(index, SYMBOL, {
        id,
        clientId: CLIENT_ID,
        side: sides[index] === SIDE_BUY ? 'buy' : 'sell',
        type: 'limit',
        priceTicks: priceTicks[index],
        quantityLots: quantityLots[index],
        timeInForce: kind === KIND_IOC ? 'IOC' : 'GTC',
        timestampMs,
      })
      record(result.fills, index)
    } else if (kind === KIND_CANCEL) {
      engine.cancel(index, SYMBOL, id, timestampMs)
      record(EMPTY_FILLS, index)
    } else if (kind === KIND_MODIFY) {
      const change: OrderChange = {}
      if (priceTicks[index] > 0) change.priceTicks = priceTicks[index]
      if (quantityLots[index] > 0) change.quantityLots = quantityLots[index]
      const result = engine.modify(index, SYMBOL, id, change, timestampMs)
      record(result.fills, index)
    }
  }
}

/** The parts of the peer's resting orders and book sides that the modify mapping reads. */
interface PeerRestingOrder {
  price: number
  size: number
}

interface PeerBookSide {
  updateOrderSize(order: PeerRestingOrder, update: { size: number }): PeerRestingOrder
}

interface PeerInternals {
  orders: Record<string, PeerRestingOrder | undefined>
  bids: PeerBookSide
  asks: PeerBookSide
}

/** Returns an applier of the flow's commands to a fresh nodejs-order-book OrderBook. */
export function createPeerDriver(flow: OrderFlow, recorder: TradeRecorder | null): ApplyCommand {
  const book = new PeerOrderBook()
  // Declared private in the peer's types but plain public fields at run time (10.1.1).
  const internals = book as unknown as PeerInternals
  const { kinds, sides, orderRefs, priceTicks, quantityLots, orderIds } = flow

  const record = (response: IProcessOrder | null, takerId: string, index: number): void => {
    if (recorder === null) return
    if (response !== null) recordPeerTrades(recorder, response, takerId)
    recorder.afterCommand(index)
  }

  return (index) => {
    const kind = kinds[index]
    const id = orderIds[orderRefs[index]]

    if (kind === KIND_LIMIT || kind === KIND_IOC) {
      const response = book.limit({
        id,
        side: sides[index] === SIDE_BUY ? PeerSide.BUY : PeerSide.SELL,
        size: quantityLots[index],
        price: priceTicks[index],
        timeInForce: kind === KIND_IOC ? PEER_IOC : PEER_GTC,
      })
      record(response, id, index)
      return
    }

    if (kind === KIND_CANCEL) {
      book.cancel(id)
      record(null, id, index)
      return
    }

    const order = internals.orders[id]
    if (order === undefined) {
      record(null, id, index)
      return
    }
    const newPrice = priceTicks[index] > 0 ? priceTicks[index] : order.price
    const newSize = quantityLots[index] > 0 ? quantityLots[index] : order.size
    if (newPrice === order.price && newSize <= order.size) {
      // Our core keeps time priority here; the peer's modify would not.
      if (newSize < order.size) {
        const side = sides[index] === SIDE_BUY ? internals.bids : internals.asks
        side.updateOrderSize(order, { size: newSize })
      }
      record(null, id, index)
      return
    }
    const response = book.modify(id, { price: newPrice, size: newSize })
    record(response, id, index)
  }
}

/**
 * Reads the fills out of a peer response: `done` contains every maker filled in
 * full (size = the lots it traded) and the taker itself when filled in full;
 * `partial` is the last maker, filled in part by partialQuantityProcessed
 * lots, or the taker when it rests with a remainder.
 */
function recordPeerTrades(recorder: TradeRecorder, response: IProcessOrder, takerId: string): void {
  for (const order of response.done) {
    if (order.id === takerId) continue
    recorder.add((order as { price: number }).price, order.size, order.id, takerId)
  }
  const partial = response.partial
  if (partial !== null && partial.id !== takerId && response.partialQuantityProcessed > 0) {
    recorder.add(partial.price, response.partialQuantityProcessed, partial.id, takerId)
  }
}
