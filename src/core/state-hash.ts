/**
 * A deterministic 64-bit FNV-1a hash of the resting state, for comparing
 * engines across runs, restores and replicas. The same state always gives
 * the same hash on any platform. Two different states collide with an
 * estimated probability of 2^-64.
 */

import type { OrderBook } from './order-book.ts'
import type { Order, Side } from './types.ts'

const SEPARATOR = 0x1f

const encoder = new TextEncoder()

/** FNV-1a with the 64-bit state kept as two unsigned 32-bit halves. */
export class Fnv1a64 {
  #high = 0xcbf29ce4
  #low = 0x84222325

  updateByte(byte: number): void {
    const low = (this.#low ^ byte) >>> 0

    // Multiply by the FNV prime 2^40 + 0x1b3, modulo 2^64. Every
    // intermediate stays below 2^53, so the arithmetic is exact.
    const lowProduct = low * 0x1b3
    const carry = Math.floor(lowProduct / 0x1_0000_0000)
    this.#low = lowProduct >>> 0
    this.#high = (this.#high * 0x1b3 + carry + ((low << 8) >>> 0)) >>> 0
  }

  /** Feeds the UTF-8 bytes of the text, then a separator byte. */
  updateField(text: string): void {
    for (const byte of encoder.encode(text)) {
      this.updateByte(byte)
    }
    this.updateByte(SEPARATOR)
  }

  /** Returns the hash as 16 lowercase hex digits. */
  digest(): string {
    return this.#high.toString(16).padStart(8, '0') + this.#low.toString(16).padStart(8, '0')
  }
}

function hashOrder(hash: Fnv1a64, order: Order): void {
  hash.updateField(order.id)
  hash.updateField(order.clientId)
  hash.updateField(order.type)
  hash.updateField(order.timeInForce)
  hash.updateField(String(order.priceTicks))
  hash.updateField(String(order.quantityLots))
  hash.updateField(String(order.filledLots))
  hash.updateField(String(order.remainingLots))
  hash.updateField(String(order.cancelledLots))
  hash.updateField(order.notional.toString())
  hash.updateField(order.status)
  hash.updateField(String(order.reason))
  hash.updateField(String(order.timestampMs))
  hash.updateField(String(order.prioritySeq))
  hash.updateField(String(order.updatedSeq))
  hash.updateField(String(order.updatedMs))
}

function hashSide(hash: Fnv1a64, book: OrderBook, side: Side): void {
  const levels = book.bookSide(side).levels
  hash.updateField(side)
  hash.updateField(String(levels.length))
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = levels[i]
    hash.updateField(String(level.priceTicks))
    hash.updateField(String(level.totalLots))
    hash.updateField(String(level.orderCount))
    for (let order = level.head; order !== null; order = order.next) {
      hashOrder(hash, order)
    }
  }
}

/**
 * Feeds one book: its symbol, last seq, the number of remembered ids (not the
 * ids themselves, which would make the hash cost grow with history), and
 * every level and resting order in price-time order.
 */
export function hashBook(hash: Fnv1a64, book: OrderBook): void {
  hash.updateField(book.symbol)
  hash.updateField(String(book.lastSeq))
  hash.updateField(String(book.seenIdCount))
  hashSide(hash, book, 'buy')
  hashSide(hash, book, 'sell')
}
