/**
 * Sort keys of the order_book and book_levels tables. A key starts with the
 * side letter (B for bids, S for asks) and a fixed-width price key, so that
 * a Query in ascending key order returns one side best price first:
 *
 * - asks: priceTicks, zero-padded to 16 digits, for ascending price.
 * - bids: MAX_SAFE_INTEGER - priceTicks, zero-padded, for descending price.
 *
 * Resting orders append `#` + prioritySeq zero-padded to 16 digits + `#` +
 * orderId, which orders one price level by time priority.
 */

import type { Side } from '../log/commands.ts'

const DIGITS = 16

export function sideLetter(side: Side): 'B' | 'S' {
  return side === 'buy' ? 'B' : 'S'
}

function padInteger(name: string, value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer (got ${value})`)
  }
  return String(value).padStart(DIGITS, '0')
}

/** Sort key of a price level: side letter and price key. */
export function levelKey(side: Side, priceTicks: number): string {
  const ticks = padInteger('priceTicks', priceTicks)
  const priceKey = side === 'buy' ? padInteger('priceTicks', Number.MAX_SAFE_INTEGER - priceTicks) : ticks
  return `${sideLetter(side)}${priceKey}`
}

/** Sort key of a resting order: level key, time priority, then order id. */
export function restingOrderKey(side: Side, priceTicks: number, prioritySeq: number, orderId: string): string {
  if (orderId === '') throw new RangeError('orderId must not be empty')
  return `${levelKey(side, priceTicks)}#${padInteger('prioritySeq', prioritySeq)}#${orderId}`
}
