/**
 * The reference book of the replay tests, and the match rate of a plain
 * replay of the AAPL sample against LOBSTER's own book rows. The rate
 * bounds what the product can reach through the same plan.
 */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { readLobsterDir, resolveLobsterDir } from '../../../src/replay/lobster-file.ts'
import {
  compareWithRow,
  diffWithRow,
  seedBounds,
  topOfBookCauses,
  type DifferenceCause,
} from '../../../src/replay/lobster-compare.ts'
import { buildPlan, type SubmitCommand } from '../../../src/replay/lobster-plan.ts'
import { PlainBook } from '../../e2e/replay/plain-book.ts'

/** Measured top-of-book match rate of the plain replay (955 of 999 rows), minus half a point. */
const MIN_TOP_OF_BOOK_RATE = 0.951
/** Measured full-depth match rate (113 of 999 rows), minus half a point. */
const MIN_FULL_DEPTH_RATE = 0.108

function limit(ref: string, side: 'buy' | 'sell', priceRaw: number, quantity: number, timeInForce: 'GTC' | 'IOC' = 'GTC'):
SubmitCommand {
  return { kind: 'submit', ref, side, priceRaw, quantity, timeInForce }
}

describe('PlainBook', () => {
  it('rests non-crossing orders by level, best first', () => {
    const book = new PlainBook()
    book.apply(limit('b1', 'buy', 99, 5))
    book.apply(limit('b2', 'buy', 98, 7))
    book.apply(limit('b3', 'buy', 99, 1))
    book.apply(limit('a1', 'sell', 101, 3))

    assert.deepEqual(book.depth(10), {
      bids: [{ priceRaw: 99, size: 6, orders: 2 }, { priceRaw: 98, size: 7, orders: 1 }],
      asks: [{ priceRaw: 101, size: 3, orders: 1 }],
    })
  })

  it('fills makers in price then time order', () => {
    const book = new PlainBook()
    book.apply(limit('a1', 'sell', 101, 3))
    book.apply(limit('a2', 'sell', 100, 2))
    book.apply(limit('a3', 'sell', 101, 4))
    book.apply(limit('t', 'buy', 101, 6, 'IOC'))

    assert.equal(book.isResting('a2'), false)
    assert.equal(book.isResting('a1'), false)
    assert.deepEqual(book.depth(10).asks, [{ priceRaw: 101, size: 3, orders: 1 }])
  })

  it('drops the IOC remainder and rests the GTC remainder', () => {
    const book = new PlainBook()
    book.apply(limit('a1', 'sell', 100, 2))
    book.apply(limit('ioc', 'buy', 100, 5, 'IOC'))
    assert.deepEqual(book.depth(10), { bids: [], asks: [] })

    book.apply(limit('a2', 'sell', 100, 2))
    book.apply(limit('gtc', 'buy', 100, 5))
    assert.deepEqual(book.depth(10), { bids: [{ priceRaw: 100, size: 3, orders: 1 }], asks: [] })
  })

  it('does not cross an order priced through the spread on the wrong side', () => {
    const book = new PlainBook()
    book.apply(limit('a1', 'sell', 101, 2))
    book.apply(limit('b1', 'buy', 100, 2, 'IOC'))
    assert.deepEqual(book.depth(10).asks, [{ priceRaw: 101, size: 2, orders: 1 }])
  })

  it('keeps time priority on a reduce', () => {
    const book = new PlainBook()
    book.apply(limit('first', 'sell', 100, 5))
    book.apply(limit('second', 'sell', 100, 5))
    assert.equal(book.apply({ kind: 'reduce', ref: 'first', size: 3 }), 'applied')

    book.apply(limit('t', 'buy', 100, 2, 'IOC'))
    assert.equal(book.isResting('first'), false)
    assert.deepEqual(book.depth(10).asks, [{ priceRaw: 100, size: 5, orders: 1 }])
  })

  it('removes an order reduced by its whole size or cancelled', () => {
    const book = new PlainBook()
    book.apply(limit('a', 'buy', 100, 5))
    book.apply(limit('b', 'buy', 99, 5))
    book.apply({ kind: 'reduce', ref: 'a', size: 9 })
    book.apply({ kind: 'cancel', ref: 'b' })
    assert.deepEqual(book.depth(10), { bids: [], asks: [] })
  })

  it('reports a cancel or reduce of an order that no longer rests', () => {
    const book = new PlainBook()
    book.apply(limit('a', 'buy', 100, 5))
    book.apply({ kind: 'cancel', ref: 'a' })
    assert.equal(book.apply({ kind: 'cancel', ref: 'a' }), 'not_resting')
    assert.equal(book.apply({ kind: 'reduce', ref: 'never', size: 1 }), 'not_resting')
  })
})

describe('plain replay of the AAPL sample', () => {
  const data = readLobsterDir(resolveLobsterDir())
  const plan = buildPlan(data.messages, data.books[0])
  const bounds = seedBounds(plan.seed)
  const book = new PlainBook()
  for (const order of plan.seed) book.apply(order)

  let topOfBook = 0
  let fullDepth = 0
  let notResting = 0
  let unexplained = 0
  const topMismatchCauses = new Map<DifferenceCause, number>()
  const rowsByCause = new Map<DifferenceCause, number>()

  for (const [index, step] of plan.steps.entries()) {
    for (const command of step.commands) {
      if (book.apply(command) === 'not_resting') notResting++
    }

    const levels = book.depth(data.depth)
    const comparison = compareWithRow(levels, data.books[index], data.depth)
    if (comparison.topOfBook) topOfBook++
    if (comparison.fullDepth) fullDepth++

    const differences = diffWithRow(levels, data.books[index], data.depth, bounds)
    if (!comparison.fullDepth && differences.length === 0) unexplained++
    for (const cause of new Set(differences.map((d) => d.cause))) {
      rowsByCause.set(cause, (rowsByCause.get(cause) ?? 0) + 1)
    }
    for (const cause of new Set(topOfBookCauses(levels, data.books[index], data.depth, bounds))) {
      topMismatchCauses.set(cause, (topMismatchCauses.get(cause) ?? 0) + 1)
    }
  }

  it('matches the LOBSTER top of book at the measured rate', (t) => {
    t.diagnostic(`top of book ${topOfBook}/${plan.steps.length}, full depth ${fullDepth}/${plan.steps.length}`)
    t.diagnostic(`top-of-book mismatches by cause: ${JSON.stringify(Object.fromEntries(topMismatchCauses))}`)
    t.diagnostic(`full-depth mismatches by cause: ${JSON.stringify(Object.fromEntries(rowsByCause))}`)
    assert.ok(topOfBook / plan.steps.length >= MIN_TOP_OF_BOOK_RATE,
      `top of book matched ${topOfBook} of ${plan.steps.length} rows`)
  })

  it('matches the LOBSTER full depth at the measured rate', () => {
    assert.ok(fullDepth / plan.steps.length >= MIN_FULL_DEPTH_RATE,
      `full depth matched ${fullDepth} of ${plan.steps.length} rows`)
  })

  it('finds every order it cancels or reduces', () => {
    assert.equal(notResting, 0)
  })

  it('explains every top-of-book mismatch by out-of-view liquidity', () => {
    // All rows whose best level differs show liquidity LOBSTER gained while it was beyond 10 levels.
    assert.deepEqual(Object.fromEntries(topMismatchCauses), { unseen_submission: plan.steps.length - topOfBook })
  })

  it('classifies every full-depth mismatch', () => {
    assert.equal(unexplained, 0)
    // Every row's levels lie within 584.27 to 587.90, the seed's last bid and last ask.
    assert.equal(rowsByCause.get('beyond_seed_depth') ?? 0, 0)
    assert.ok((rowsByCause.get('unseen_submission') ?? 0) > 0)
    assert.ok((rowsByCause.get('unseen_removal') ?? 0) > 0)
  })
})
