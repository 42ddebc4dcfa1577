/**
 * Comparison of a replayed book with a LOBSTER book row. Both sides are
 * given as levels of dollars × 10000 and shares, best first.
 */

import type { LobsterBookRow, LobsterLevel } from './lobster-file.ts'
import type { SubmitCommand } from './lobster-plan.ts'

export interface BookView {
  bids: readonly LobsterLevel[]
  asks: readonly LobsterLevel[]
}

export interface RowComparison {
  /** Best bid and best ask agree in price and size (an empty side must be empty in both). */
  topOfBook: boolean
  /** The first `depth` levels of both sides agree in price and size. */
  fullDepth: boolean
}

export function compareWithRow(book: BookView, row: LobsterBookRow, depth: number): RowComparison {
  return {
    topOfBook: sameLevels(book.bids, row.bids, 1) && sameLevels(book.asks, row.asks, 1),
    fullDepth: sameLevels(book.bids, row.bids, depth) && sameLevels(book.asks, row.asks, depth),
  }
}

/** True when the first `count` levels of `a` and `b` agree, including how many there are. */
export function sameLevels(a: readonly LobsterLevel[], b: readonly LobsterLevel[], count: number): boolean {
  const left = a.slice(0, count)
  const right = b.slice(0, count)
  if (left.length !== right.length) return false
  return left.every((level, i) => level.priceRaw === right[i].priceRaw && level.size === right[i].size)
}

/**
 * Probable cause of a level that differs from LOBSTER. LOBSTER's level-10
 * files carry only events inside the 10 visible levels, so liquidity added
 * or removed further out changes what surfaces later without any message.
 */
export type DifferenceCause =
  /** LOBSTER shows more at a price inside the seed's range: added while out of view. */
  | 'unseen_submission'
  /** LOBSTER shows more beyond the seed's last level: the seed could not contain it. */
  | 'beyond_seed_depth'
  /** The replay shows more than LOBSTER: removed while out of view, or a fill the replay missed. */
  | 'unseen_removal'

export interface LevelDifference {
  side: 'bid' | 'ask'
  /** Dollars × 10000. */
  priceRaw: number
  /** Shares in the replay (0 when it has no level there). */
  replaySize: number
  /** Shares in the LOBSTER row (0 when it has no level there). */
  lobsterSize: number
  cause: DifferenceCause
}

/** The worst price of each side of the seed, the limit of what the seed can know. */
export interface SeedBounds {
  /** Lowest seeded bid, dollars × 10000; undefined when no bid was seeded. */
  lowestBid: number | undefined
  /** Highest seeded ask, dollars × 10000; undefined when no ask was seeded. */
  highestAsk: number | undefined
}

/**
 * Lists the prices where the replay and the row differ, within the price
 * range both views cover: a side showing all `depth` levels hides what lies
 * beyond its last one.
 */
export function diffWithRow(book: BookView, row: LobsterBookRow, depth: number, seed: SeedBounds): LevelDifference[] {
  return [
    ...diffSide('bid', book.bids, row.bids, depth, seed.lowestBid),
    ...diffSide('ask', book.asks, row.asks, depth, seed.highestAsk),
  ]
}

function diffSide(
  side: 'bid' | 'ask',
  replay: readonly LobsterLevel[],
  lobster: readonly LobsterLevel[],
  depth: number,
  seedWorst: number | undefined,
): LevelDifference[] {
  // Prices sort best first as keys that grow with depth on both sides.
  const depthKey = (priceRaw: number) => (side === 'bid' ? -priceRaw : priceRaw)
  const replayLevels = replay.slice(0, depth)
  const lobsterLevels = lobster.slice(0, depth)
  let limit = Number.POSITIVE_INFINITY
  if (replayLevels.length === depth) limit = Math.min(limit, depthKey(replayLevels[depth - 1].priceRaw))
  if (lobsterLevels.length === depth) limit = Math.min(limit, depthKey(lobsterLevels[depth - 1].priceRaw))

  const sizes = new Map<number, { replaySize: number, lobsterSize: number }>()
  for (const level of replayLevels) sizes.set(level.priceRaw, { replaySize: level.size, lobsterSize: 0 })
  for (const level of lobsterLevels) {
    const entry = sizes.get(level.priceRaw) ?? { replaySize: 0, lobsterSize: 0 }
    entry.lobsterSize = level.size
    sizes.set(level.priceRaw, entry)
  }

  const differences: LevelDifference[] = []
  const prices = [...sizes.keys()].sort((a, b) => depthKey(a) - depthKey(b))
  for (const priceRaw of prices) {
    const { replaySize, lobsterSize } = sizes.get(priceRaw)!
    if (depthKey(priceRaw) > limit || replaySize === lobsterSize) continue

    let cause: DifferenceCause = 'unseen_removal'
    if (lobsterSize > replaySize) {
      const beyondSeed = seedWorst === undefined || depthKey(priceRaw) > depthKey(seedWorst)
      cause = beyondSeed ? 'beyond_seed_depth' : 'unseen_submission'
    }
    differences.push({ side, priceRaw, replaySize, lobsterSize, cause })
  }
  return differences
}

/** Returns the worst seeded price of each side. */
export function seedBounds(seed: readonly SubmitCommand[]): SeedBounds {
  let lowestBid: number | undefined
  let highestAsk: number | undefined
  for (const order of seed) {
    if (order.side === 'buy' && (lowestBid === undefined || order.priceRaw < lowestBid)) lowestBid = order.priceRaw
    if (order.side === 'sell' && (highestAsk === undefined || order.priceRaw > highestAsk)) highestAsk = order.priceRaw
  }
  return { lowestBid, highestAsk }
}

/**
 * Returns the cause of each side whose best level differs from the row: the
 * cause of that side's best differing price.
 */
export function topOfBookCauses(book: BookView, row: LobsterBookRow, depth: number, seed: SeedBounds): DifferenceCause[] {
  const differences = diffWithRow(book, row, depth, seed)
  const causes: DifferenceCause[] = []

  if (!sameLevels(book.bids, row.bids, 1)) {
    const first = differences.find((difference) => difference.side === 'bid')
    if (first !== undefined) causes.push(first.cause)
  }
  if (!sameLevels(book.asks, row.asks, 1)) {
    const first = differences.find((difference) => difference.side === 'ask')
    if (first !== undefined) causes.push(first.cause)
  }
  return causes
}
