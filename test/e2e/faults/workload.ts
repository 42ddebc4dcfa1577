/**
 * A reproducible command stream for the fault tests: a seeded PRNG drives
 * new orders around a per-symbol mid price, with cancels and modifies of
 * earlier orders, so that books build up, trade and shrink.
 */

import { COMMAND_VERSION, encodeCommand, type Command, type TimeInForce } from '../../../src/log/commands.ts'
import type { CommandLogProducer } from '../../../src/log/types.ts'

/** Every symbol trades whole lots at a tick of 0.01, which keeps the invariant sums exact. */
export function instrumentsFor(symbols: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(symbols.map((symbol) => [symbol, { tickSize: '0.01', lotSize: '1' }])))
}

/** mulberry32: a small, fast 32-bit PRNG; the same seed gives the same stream. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface WorkloadOptions {
  seed: number
  count: number
  symbols: readonly string[]
  /** Prefix of order ids, so that runs sharing a store never collide. */
  idPrefix: string
}

/** Builds `count` commands; about 70% new orders, 18% cancels and 12% modifies. */
export function buildWorkload(options: WorkloadOptions): Command[] {
  const random = seededRandom(options.seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
  const live = new Map<string, string[]>(options.symbols.map((symbol) => [symbol, []]))
  const commands: Command[] = []
  const startMs = Date.UTC(2026, 0, 5, 14, 30)

  for (let i = 0; i < options.count; i++) {
    const symbol = pick(options.symbols)
    const ids = live.get(symbol)!
    const timestamp = new Date(startMs + i).toISOString()
    const clientId = `c${Math.floor(random() * 20)}`
    const roll = random()

    if (roll < 0.18 && ids.length > 0) {
      const orderId = ids.splice(Math.floor(random() * ids.length), 1)[0]
      commands.push({ v: COMMAND_VERSION, kind: 'cancel', orderId, symbol, clientId, timestamp })
      continue
    }
    if (roll < 0.30 && ids.length > 0) {
      const orderId = pick(ids)
      const change = random() < 0.5 ? { quantity: String(1 + Math.floor(random() * 20)) } : { price: priceNear(random) }
      commands.push({ v: COMMAND_VERSION, kind: 'modify', orderId, symbol, clientId, timestamp, ...change })
      continue
    }

    const id = `${options.idPrefix}-${i}`
    const side = random() < 0.5 ? 'buy' : 'sell'
    const shape = random()
    const type = shape < 0.05 ? 'market' : 'limit'
    let timeInForce: TimeInForce = 'GTC'
    if (shape < 0.10) timeInForce = 'IOC'
    else if (shape < 0.13) timeInForce = 'FOK'
    commands.push({
      v: COMMAND_VERSION,
      kind: 'new',
      id,
      clientId,
      symbol,
      side,
      type,
      price: type === 'market' ? null : priceNear(random),
      quantity: String(1 + Math.floor(random() * 30)),
      timeInForce,
      timestamp,
      source: 'orders',
    })
    if (timeInForce === 'GTC') ids.push(id)
  }
  return commands
}

/** Prices 99.00 to 101.00 in whole ticks, so that bids and asks cross often. */
function priceNear(random: () => number): string {
  const cents = 9900 + Math.floor(random() * 201)
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`
}

/**
 * Appends the commands `window` at a time and returns the last offset
 * written to each partition. Within one window the log may order records
 * differently from the array. The tests compare runs that read the same
 * log, so only the log's order matters.
 */
export async function appendAll(
  producer: CommandLogProducer,
  commands: readonly Command[],
  window = 1,
): Promise<Map<number, bigint>> {
  const lastOffsets = new Map<number, bigint>()
  for (let start = 0; start < commands.length; start += window) {
    const slice = commands.slice(start, start + window)
    const results = await Promise.all(slice.map((command) => producer.append(command.symbol, encodeCommand(command))))
    for (const { partition, offset } of results) {
      const known = lastOffsets.get(partition)
      if (known === undefined || offset > known) lastOffsets.set(partition, offset)
    }
  }
  return lastOffsets
}
