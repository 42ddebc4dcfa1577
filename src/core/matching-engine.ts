/**
 * The matching state of one command-log partition: one order book per symbol,
 * created on the first submit for that symbol. Commands carry the partition
 * offset as `seq`, which must increase strictly across the whole partition.
 */

import { checkBookInvariants } from './invariants.ts'
import { OrderBook, seenIdCapacityOf, type OrderBookOptions } from './order-book.ts'
import {
  restoreBook,
  snapshotBook,
  SNAPSHOT_FORMAT,
  SnapshotError,
  type EngineSnapshot,
} from './snapshot.ts'
import { Fnv1a64, hashBook } from './state-hash.ts'
import {
  EMPTY_FILLS,
  type CommandResult,
  type Depth,
  type LevelView,
  type NewOrder,
  type Order,
  type OrderChange,
  type Side,
} from './types.ts'

export type MatchingEngineOptions = OrderBookOptions

const STALE_RESULT: CommandResult = Object.freeze({
  code: 'stale_sequence',
  order: null,
  fills: EMPTY_FILLS,
})

const UNKNOWN_ORDER_RESULT: CommandResult = Object.freeze({
  code: 'unknown_order',
  order: null,
  fills: EMPTY_FILLS,
})

export class MatchingEngine {
  readonly #books: Map<string, OrderBook>
  readonly #options: MatchingEngineOptions
  /** The book of the last command, which a run of commands on one symbol finds without a map lookup. */
  #recentBook: OrderBook | null
  #lastSeq: number

  constructor(options: MatchingEngineOptions = {}) {
    this.#books = new Map()
    this.#options = { ...options }
    this.#recentBook = null
    this.#lastSeq = -1
    seenIdCapacityOf(this.#options)
  }

  /**
   * Rebuilds an engine from snapshot(). The result applies later commands
   * exactly as the engine that took the snapshot would. Throws SnapshotError
   * for malformed or inconsistent content.
   */
  static restore(snapshot: unknown, options: MatchingEngineOptions = {}): MatchingEngine {
    if (typeof snapshot !== 'object' || snapshot === null) {
      throw new SnapshotError('engine snapshot is not an object')
    }
    const content = snapshot as Record<string, unknown>
    if (content.format !== SNAPSHOT_FORMAT) {
      throw new SnapshotError(
        `unsupported snapshot format ${JSON.stringify(content.format)}, expected ${SNAPSHOT_FORMAT}`,
      )
    }
    if (!Number.isSafeInteger(content.lastSeq) || (content.lastSeq as number) < -1) {
      throw new SnapshotError(
        `engine snapshot lastSeq must be a safe integer >= -1, got ${JSON.stringify(content.lastSeq)}`,
      )
    }
    if (!Array.isArray(content.books)) {
      throw new SnapshotError('engine snapshot books must be an array')
    }

    const engine = new MatchingEngine(options)
    engine.#lastSeq = content.lastSeq as number
    for (const bookSnapshot of content.books) {
      const book = restoreBook(bookSnapshot, engine.#options)
      if (engine.#books.has(book.symbol)) {
        throw new SnapshotError(`engine snapshot contains the book ${book.symbol} twice`)
      }
      if (book.lastSeq > engine.#lastSeq) {
        throw new SnapshotError(
          `book ${book.symbol} lastSeq ${book.lastSeq} is above the engine lastSeq ${engine.#lastSeq}`,
        )
      }
      engine.#books.set(book.symbol, book)
    }
    return engine
  }

  /** seq of the last command applied, or -1 before the first. */
  get lastSeq(): number {
    return this.#lastSeq
  }

  submit(seq: number, symbol: string, order: NewOrder): CommandResult {
    if (!this.#advance(seq)) {
      return STALE_RESULT
    }

    let book = this.#bookOf(symbol)
    if (book === undefined) {
      book = new OrderBook(symbol, this.#options)
      this.#books.set(symbol, book)
      this.#recentBook = book
    }
    return book.submit(seq, order)
  }

  cancel(seq: number, symbol: string, orderId: string, timestampMs: number): CommandResult {
    if (!this.#advance(seq)) {
      return STALE_RESULT
    }

    const book = this.#bookOf(symbol)
    if (book === undefined) {
      return UNKNOWN_ORDER_RESULT
    }
    return book.cancel(seq, orderId, timestampMs)
  }

  modify(
    seq: number,
    symbol: string,
    orderId: string,
    change: OrderChange,
    timestampMs: number,
  ): CommandResult {
    if (!this.#advance(seq)) {
      return STALE_RESULT
    }

    const book = this.#bookOf(symbol)
    if (book === undefined) {
      return UNKNOWN_ORDER_RESULT
    }
    return book.modify(seq, orderId, change, timestampMs)
  }

  /** Aggregated levels of both sides, best first, at most `levels` per side. */
  depth(symbol: string, levels: number): Depth {
    const book = this.#books.get(symbol)
    if (book === undefined) {
      return { bids: [], asks: [] }
    }
    return book.depth(levels)
  }

  level(symbol: string, side: Side, priceTicks: number): Omit<LevelView, 'priceTicks'> | null {
    return this.#books.get(symbol)?.level(side, priceTicks) ?? null
  }

  /** Resting orders of one side in price-time order, best price first. */
  restingOrders(symbol: string, side: Side): Order[] {
    return this.#books.get(symbol)?.restingOrders(side) ?? []
  }

  /** Returns the resting order with this id, or null once it has stopped resting. */
  getOrder(symbol: string, orderId: string): Order | null {
    return this.#books.get(symbol)?.getOrder(orderId) ?? null
  }

  /** Returns the book of a symbol, or undefined before its first submit. */
  book(symbol: string): OrderBook | undefined {
    return this.#books.get(symbol)
  }

  /** Returns the symbols that have a book, sorted. */
  symbols(): string[] {
    return [...this.#books.keys()].sort()
  }

  /**
   * Captures the full state as plain JSON-serializable data. Its size grows
   * with the resting orders and with every remembered order id.
   */
  snapshot(): EngineSnapshot {
    return {
      format: SNAPSHOT_FORMAT,
      lastSeq: this.#lastSeq,
      books: this.symbols().map((symbol) => snapshotBook(this.#books.get(symbol) as OrderBook)),
    }
  }

  /** Returns the FNV-1a 64 hash of the state as 16 hex digits (see state-hash.ts). */
  stateHash(): string {
    const hash = new Fnv1a64()
    hash.updateField(String(this.#lastSeq))
    for (const symbol of this.symbols()) {
      hashBook(hash, this.#books.get(symbol) as OrderBook)
    }
    return hash.digest()
  }

  /** Returns every violated invariant of every book, or an empty list when consistent. */
  checkInvariants(): string[] {
    const violations: string[] = []
    for (const [symbol, book] of this.#books) {
      if (book.symbol !== symbol) {
        violations.push(`book ${book.symbol} is filed under ${symbol}`)
      }
      if (book.lastSeq > this.#lastSeq) {
        violations.push(`${symbol}: book lastSeq ${book.lastSeq} is above the engine lastSeq ${this.#lastSeq}`)
      }
      violations.push(...checkBookInvariants(book))
    }
    return violations
  }

  #bookOf(symbol: string): OrderBook | undefined {
    const recent = this.#recentBook
    if (recent !== null && recent.symbol === symbol) {
      return recent
    }
    const book = this.#books.get(symbol)
    if (book !== undefined) {
      this.#recentBook = book
    }
    return book
  }

  #advance(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new RangeError(`seq must be a non-negative safe integer, got ${seq}`)
    }
    if (seq <= this.#lastSeq) {
      return false
    }
    this.#lastSeq = seq
    return true
  }
}
