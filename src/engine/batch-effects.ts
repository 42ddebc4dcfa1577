/**
 * Collects what one batch of commands changed, coalesced per item, and turns
 * it into the store's PartitionEffects at the end of the batch. Orders are
 * kept as live core objects, so each is formatted once, in its final state.
 */

import type { Instrument } from '../core/instrument.ts'
import type { Order, Side } from '../core/types.ts'
import type { DeadLetter, LevelRecord, PartitionEffects, RestingOrderKey, RestingOrderRecord, TradeRecord } from '../store/types.ts'
import { isResting, toOrderRecord, toRestingRecord, type OrderMeta } from './records.ts'
import { lotsToQuantity, ticksToPrice } from '../core/instrument.ts'

/** A key an order held in the order_book table. */
interface RestingPlace {
  side: Side
  priceTicks: number
  prioritySeq: number
}

interface TouchedOrder {
  order: Order
  /**
   * Every place the order held while the batch ran, not only the one before
   * it. A replay after a crash may cut batches at other offsets than the
   * run that crashed, and then the store can hold an intermediate place.
   */
  places: RestingPlace[]
}

interface TouchedLevel {
  symbol: string
  side: Side
  priceTicks: number
  /**
   * Offset of the last command that touched the level. Unlike the batch's
   * last offset it does not depend on where batches are cut, so a replay
   * after a crash stores the same version as an uninterrupted run.
   */
  version: number
}

export interface LevelSource {
  level(symbol: string, side: Side, priceTicks: number): { quantityLots: number, orderCount: number } | null
}

export interface MetaSource {
  meta(orderId: string): OrderMeta | undefined
  instrument(symbol: string): Instrument
}

export class BatchEffects {
  readonly partition: number
  #orders = new Map<string, TouchedOrder>()
  #trades: TradeRecord[] = []
  #levels = new Map<string, TouchedLevel>()
  #deadLetters: DeadLetter[] = []
  #firstOffset = -1
  #lastOffset = -1
  #commands = 0

  constructor(partition: number) {
    this.partition = partition
  }

  get commands(): number {
    return this.#commands
  }

  get firstOffset(): number {
    return this.#firstOffset
  }

  get lastOffset(): number {
    return this.#lastOffset
  }

  get deadLetters(): readonly DeadLetter[] {
    return this.#deadLetters
  }

  get tradeCount(): number {
    return this.#trades.length
  }

  /** Marks one more command of the batch as applied. */
  advance(offset: number): void {
    if (this.#firstOffset < 0) this.#firstOffset = offset
    this.#lastOffset = offset
    this.#commands++
  }

  /**
   * Records an order the batch changes. Call it before the change for an
   * order that may move on the book (cancel, modify). Makers may be recorded
   * after a fill, since a fill never moves an order within the book.
   */
  touchOrder(order: Order, wasResting: boolean): void {
    let touched = this.#orders.get(order.id)
    if (touched === undefined) {
      touched = { order, places: [] }
      this.#orders.set(order.id, touched)
    }
    if (!wasResting) return

    const place = { side: order.side, priceTicks: order.priceTicks as number, prioritySeq: order.prioritySeq }
    if (!touched.places.some((known) => samePlace(known, place))) touched.places.push(place)
  }

  /** Records a level the current command changes; call it after advance(). */
  touchLevel(symbol: string, side: Side, priceTicks: number): void {
    const key = `${symbol}\u0000${side}\u0000${priceTicks}`
    const touched = this.#levels.get(key)
    if (touched === undefined) {
      this.#levels.set(key, { symbol, side, priceTicks, version: this.#lastOffset })
    } else {
      touched.version = this.#lastOffset
    }
  }

  addTrade(trade: TradeRecord): void {
    this.#trades.push(trade)
  }

  addDeadLetter(letter: DeadLetter): void {
    this.#deadLetters.push(letter)
  }

  /** Ids of the orders the batch touched that are no longer resting. */
  *inactiveOrderIds(): Iterable<string> {
    for (const { order } of this.#orders.values()) {
      if (!isResting(order)) yield order.id
    }
  }

  build(source: MetaSource & LevelSource): PartitionEffects {
    const effects: PartitionEffects = {
      partition: this.partition,
      lastOffset: this.#lastOffset,
      orders: [],
      trades: this.#trades,
      restingPuts: [],
      restingDeletes: [],
      levels: [],
    }

    for (const { order, places } of this.#orders.values()) {
      const instrument = source.instrument(order.symbol)
      const meta = source.meta(order.id)
      if (meta === undefined) {
        throw new Error(`order ${order.id} has no metadata in partition ${this.partition}`)
      }
      effects.orders.push(toOrderRecord(instrument, order, meta))

      const now: RestingOrderRecord | null = isResting(order) ? toRestingRecord(instrument, order) : null
      for (const place of places) {
        if (now === null || !samePlace(place, now)) effects.restingDeletes.push(restingKey(order, place))
      }
      if (now !== null) effects.restingPuts.push(now)
    }

    for (const { symbol, side, priceTicks, version } of this.#levels.values()) {
      const instrument = source.instrument(symbol)
      const level = source.level(symbol, side, priceTicks)
      const record: LevelRecord = {
        symbol,
        side,
        priceTicks,
        price: ticksToPrice(instrument, priceTicks),
        quantity: level === null ? '0' : lotsToQuantity(instrument, level.quantityLots),
        orderCount: level === null ? 0 : level.orderCount,
        version,
      }
      effects.levels.push(record)
    }

    return effects
  }
}

function samePlace(place: RestingPlace, other: RestingPlace): boolean {
  return place.side === other.side &&
    place.priceTicks === other.priceTicks &&
    place.prioritySeq === other.prioritySeq
}

function restingKey(order: Order, place: RestingPlace): RestingOrderKey {
  return {
    symbol: order.symbol,
    side: place.side,
    priceTicks: place.priceTicks,
    prioritySeq: place.prioritySeq,
    orderId: order.id,
    version: order.updatedSeq,
  }
}
