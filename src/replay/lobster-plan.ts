/**
 * Turns LOBSTER messages into product commands, independent of any
 * transport. Orders are named by plan references, which the replay maps to
 * the product's order ids:
 *   `seed:<side>:<priceRaw>` one order for each level resting before the file,
 *   `order:<lobsterId>`      an order submitted in the file (event type 1),
 *   `taker:<row>`            the aggressor that reproduces an execution.
 *
 * Choices, each a reason for some rows to differ from LOBSTER:
 * - The seed is book row 1 with message 1 undone, one order a level, so it
 *   has no queue order inside a level and nothing beyond the file's depth.
 * - A deletion (3) or partial cancellation (2) of an order that predates the
 *   file reduces the seed order of its level by the size.
 * - An execution (4) becomes an IOC limit order of the other side at the
 *   executed price and size. IOC rather than GTC, so that a fill the product
 *   cannot make (the maker is missing from its book) leaves no phantom
 *   resting order on the taker's side.
 * - Hidden executions (5), cross trades (6) and halts (7) change no visible
 *   level and are skipped.
 */

import type { Side } from '../log/commands.ts'
import type { LobsterBookRow, LobsterLevel, LobsterMessage } from './lobster-file.ts'

export type PlanRef = string

/** A limit order to submit: a seed, a LOBSTER submission or an execution's taker. */
export interface SubmitCommand {
  kind: 'submit'
  ref: PlanRef
  side: Side
  /** Dollars × 10000. */
  priceRaw: number
  /** Shares. */
  quantity: number
  timeInForce: 'GTC' | 'IOC'
}

/**
 * Removes `size` shares from a resting order: the whole order (a cancel)
 * when it has `size` or fewer left, else a quantity decrease that keeps its
 * time priority. Nothing happens when the order is no longer resting.
 */
export interface ReduceCommand {
  kind: 'reduce'
  ref: PlanRef
  /** Shares. */
  size: number
}

/** Cancels a resting order whatever it has left; nothing happens when it no longer rests. */
export interface CancelCommand {
  kind: 'cancel'
  ref: PlanRef
}

export type PlanCommand = SubmitCommand | ReduceCommand | CancelCommand

export type SkipReason =
  | 'hidden_execution'
  | 'cross_trade'
  | 'trading_halt'
  /** A type 2 or 3 of an order that predates the file at a level the seed does not cover. */
  | 'unseeded_order'
  /** A type 1 repeating an order id already submitted in the file. */
  | 'duplicate_order_id'

export interface PlanStep {
  message: LobsterMessage
  /** Empty when the step is skipped. */
  commands: PlanCommand[]
  skipReason?: SkipReason
}

export interface ReplayPlan {
  /** GTC orders to rest before the first message, best level first, bids then asks. */
  seed: SubmitCommand[]
  steps: PlanStep[]
}

const SKIPPED_TYPES: Record<number, SkipReason> = {
  5: 'hidden_execution',
  6: 'cross_trade',
  7: 'trading_halt',
}

export function seedRef(side: Side, priceRaw: number): PlanRef {
  return `seed:${side}:${priceRaw}`
}

export function orderRef(lobsterId: number): PlanRef {
  return `order:${lobsterId}`
}

export function takerRef(row: number): PlanRef {
  return `taker:${row}`
}

/**
 * Returns the levels resting before `first`: the book after it (`afterFirst`)
 * with its effect undone. The level a type 1 added shrinks or disappears;
 * the size a type 2, 3 or 4 removed comes back.
 */
export function seedLevels(first: LobsterMessage, afterFirst: LobsterBookRow): { bids: LobsterLevel[], asks: LobsterLevel[] } {
  const bids = afterFirst.bids.map((level) => ({ ...level }))
  const asks = afterFirst.asks.map((level) => ({ ...level }))
  const levels = first.side === 'buy' ? bids : asks
  const index = levels.findIndex((level) => level.priceRaw === first.priceRaw)

  if (first.type === 1 && index !== -1) {
    levels[index].size -= first.size
    if (levels[index].size <= 0) levels.splice(index, 1)
  } else if (first.type >= 2 && first.type <= 4) {
    if (index !== -1) {
      levels[index].size += first.size
    } else {
      levels.push({ priceRaw: first.priceRaw, size: first.size })
      levels.sort((a, b) => (first.side === 'buy' ? b.priceRaw - a.priceRaw : a.priceRaw - b.priceRaw))
    }
  }
  return { bids, asks }
}

/**
 * Builds the plan for `messages`, seeded from `firstBook`, the book row
 * after messages[0].
 */
export function buildPlan(messages: LobsterMessage[], firstBook: LobsterBookRow): ReplayPlan {
  if (messages.length === 0) return { seed: [], steps: [] }

  const levels = seedLevels(messages[0], firstBook)
  const seed: SubmitCommand[] = [
    ...levels.bids.map((level) => seedOrder('buy', level)),
    ...levels.asks.map((level) => seedOrder('sell', level)),
  ]
  const seeded = new Set(seed.map((order) => order.ref))
  const submitted = new Set<number>()

  const steps = messages.map((message): PlanStep => {
    const skipped = SKIPPED_TYPES[message.type]
    if (skipped !== undefined) return { message, commands: [], skipReason: skipped }

    if (message.type === 1) {
      if (submitted.has(message.orderId)) return { message, commands: [], skipReason: 'duplicate_order_id' }

      submitted.add(message.orderId)
      const command: SubmitCommand = {
        kind: 'submit',
        ref: orderRef(message.orderId),
        side: message.side,
        priceRaw: message.priceRaw,
        quantity: message.size,
        timeInForce: 'GTC',
      }
      return { message, commands: [command] }
    }

    if (message.type === 4) {
      const taker: SubmitCommand = {
        kind: 'submit',
        ref: takerRef(message.row),
        side: message.side === 'buy' ? 'sell' : 'buy',
        priceRaw: message.priceRaw,
        quantity: message.size,
        timeInForce: 'IOC',
      }
      return { message, commands: [taker] }
    }

    // Types 2 and 3 from here on.
    if (submitted.has(message.orderId)) {
      const ref = orderRef(message.orderId)
      const command: PlanCommand = message.type === 3 ? { kind: 'cancel', ref } : { kind: 'reduce', ref, size: message.size }
      return { message, commands: [command] }
    }

    const ref = seedRef(message.side, message.priceRaw)
    if (!seeded.has(ref)) return { message, commands: [], skipReason: 'unseeded_order' }
    return { message, commands: [{ kind: 'reduce', ref, size: message.size }] }
  })

  return { seed, steps }
}

function seedOrder(side: Side, level: LobsterLevel): SubmitCommand {
  return {
    kind: 'submit',
    ref: seedRef(side, level.priceRaw),
    side,
    priceRaw: level.priceRaw,
    quantity: level.size,
    timeInForce: 'GTC',
  }
}
