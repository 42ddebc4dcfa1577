import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { parseBooks } from '../../../src/replay/lobster-file.ts'
import { compareWithRow, diffWithRow, sameLevels, seedBounds, topOfBookCauses } from '../../../src/replay/lobster-compare.ts'
import { seedRef } from '../../../src/replay/lobster-plan.ts'

/** Asks 101 x 10, 102 x 20; bids 99 x 30, 98 x 40 (dollars × 10000 and shares). */
const ROW = parseBooks('1010000,10,990000,30,1020000,20,980000,40')[0]
const SEED = { lowestBid: 980000, highestAsk: 1020000 }

function book(bids: Array<[number, number]>, asks: Array<[number, number]>) {
  const toLevels = (levels: Array<[number, number]>) => levels.map(([priceRaw, size]) => ({ priceRaw, size }))
  return { bids: toLevels(bids), asks: toLevels(asks) }
}

describe('compareWithRow', () => {
  it('matches an identical book at both depths', () => {
    const result = compareWithRow(book([[990000, 30], [980000, 40]], [[1010000, 10], [1020000, 20]]), ROW, 2)
    assert.deepEqual(result, { topOfBook: true, fullDepth: true })
  })

  it('matches the top but not the depth when a deeper level differs', () => {
    const result = compareWithRow(book([[990000, 30], [980000, 41]], [[1010000, 10], [1020000, 20]]), ROW, 2)
    assert.deepEqual(result, { topOfBook: true, fullDepth: false })
  })

  it('fails the top when a best size differs', () => {
    const result = compareWithRow(book([[990000, 30], [980000, 40]], [[1010000, 11], [1020000, 20]]), ROW, 2)
    assert.equal(result.topOfBook, false)
  })

  it('fails when one side is empty in only one book', () => {
    const result = compareWithRow(book([], [[1010000, 10], [1020000, 20]]), ROW, 2)
    assert.deepEqual(result, { topOfBook: false, fullDepth: false })
  })
})

describe('sameLevels', () => {
  it('compares only the first count levels', () => {
    assert.equal(sameLevels([{ priceRaw: 1, size: 1 }, { priceRaw: 2, size: 1 }], [{ priceRaw: 1, size: 1 }], 1), true)
    assert.equal(sameLevels([{ priceRaw: 1, size: 1 }, { priceRaw: 2, size: 1 }], [{ priceRaw: 1, size: 1 }], 2), false)
  })
})

describe('diffWithRow', () => {
  it('finds no difference in an identical book', () => {
    assert.deepEqual(diffWithRow(book([[990000, 30], [980000, 40]], [[1010000, 10], [1020000, 20]]), ROW, 2, SEED), [])
  })

  it('blames a missing level inside the seed range on an unseen submission', () => {
    const differences = diffWithRow(book([[980000, 40]], [[1010000, 10], [1020000, 20]]), ROW, 2, SEED)
    assert.deepEqual(differences, [
      { side: 'bid', priceRaw: 990000, replaySize: 0, lobsterSize: 30, cause: 'unseen_submission' },
    ])
  })

  it('blames a missing level beyond the seed on the seed depth', () => {
    const seed = { lowestBid: 990000, highestAsk: 1020000 }
    const differences = diffWithRow(book([[990000, 30]], [[1010000, 10], [1020000, 20]]), ROW, 2, seed)
    assert.deepEqual(differences, [
      { side: 'bid', priceRaw: 980000, replaySize: 0, lobsterSize: 40, cause: 'beyond_seed_depth' },
    ])
  })

  it('blames an extra or larger replay level on an unseen removal', () => {
    const differences = diffWithRow(
      book([[990000, 30], [985000, 7], [980000, 40]], [[1010000, 12], [1020000, 20]]),
      ROW,
      3,
      SEED,
    )
    assert.deepEqual(differences, [
      { side: 'bid', priceRaw: 985000, replaySize: 7, lobsterSize: 0, cause: 'unseen_removal' },
      { side: 'ask', priceRaw: 1010000, replaySize: 12, lobsterSize: 10, cause: 'unseen_removal' },
    ])
  })

  it('ignores prices beyond the last level of a full side', () => {
    // The replay shows its 2 levels; LOBSTER's 98.00 lies beyond the replay's last price and is not compared.
    const differences = diffWithRow(book([[990000, 30], [985000, 5]], [[1010000, 10], [1020000, 20]]), ROW, 2, SEED)
    assert.deepEqual(differences.map((d) => d.priceRaw), [985000])
  })
})

describe('seedBounds', () => {
  it('returns the worst seeded price a side', () => {
    const seed = [
      { kind: 'submit' as const, ref: seedRef('buy', 990000), side: 'buy' as const, priceRaw: 990000, quantity: 1,
        timeInForce: 'GTC' as const },
      { kind: 'submit' as const, ref: seedRef('buy', 980000), side: 'buy' as const, priceRaw: 980000, quantity: 1,
        timeInForce: 'GTC' as const },
      { kind: 'submit' as const, ref: seedRef('sell', 1010000), side: 'sell' as const, priceRaw: 1010000, quantity: 1,
        timeInForce: 'GTC' as const },
    ]
    assert.deepEqual(seedBounds(seed), { lowestBid: 980000, highestAsk: 1010000 })
  })

  it('leaves an unseeded side undefined', () => {
    assert.deepEqual(seedBounds([]), { lowestBid: undefined, highestAsk: undefined })
  })
})

describe('topOfBookCauses', () => {
  it('returns nothing when both best levels agree', () => {
    const levels = book([[990000, 30], [970000, 1]], [[1010000, 10], [1020000, 20]])
    assert.deepEqual(topOfBookCauses(levels, ROW, 2, SEED), [])
  })

  it('returns the cause of the best differing price of each side', () => {
    const levels = book([[995000, 1], [990000, 30]], [[1020000, 20]])
    assert.deepEqual(topOfBookCauses(levels, ROW, 2, SEED), ['unseen_removal', 'unseen_submission'])
  })
})
