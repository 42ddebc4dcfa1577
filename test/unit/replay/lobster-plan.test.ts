import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { parseBooks, parseMessages, readLobsterDir, resolveLobsterDir } from '../../../src/replay/lobster-file.ts'
import { buildPlan, orderRef, seedLevels, seedRef, takerRef } from '../../../src/replay/lobster-plan.ts'

/** A book row of two levels a side: asks 101.00 x 10, 102.00 x 20; bids 99.00 x 30, 98.00 x 40. */
const ROW = parseBooks('1010000,10,990000,30,1020000,20,980000,40')[0]

function message(text: string) {
  return parseMessages(text)[0]
}

describe('seedLevels', () => {
  it('undoes a new order that opened a level', () => {
    const levels = seedLevels(message('1,1,7,30,990000,1'), ROW)
    assert.deepEqual(levels.bids, [{ priceRaw: 980000, size: 40 }])
    assert.deepEqual(levels.asks, ROW.asks)
  })

  it('undoes a new order that joined a level', () => {
    const levels = seedLevels(message('1,1,7,5,1020000,-1'), ROW)
    assert.deepEqual(levels.asks, [{ priceRaw: 1010000, size: 10 }, { priceRaw: 1020000, size: 15 }])
  })

  it('gives back the size a deletion removed', () => {
    const levels = seedLevels(message('1,3,7,25,980000,1'), ROW)
    assert.deepEqual(levels.bids, [{ priceRaw: 990000, size: 30 }, { priceRaw: 980000, size: 65 }])
  })

  it('restores a level an execution emptied, in price order', () => {
    const asks = seedLevels(message('1,4,7,8,1005000,-1'), ROW).asks
    assert.deepEqual(asks.map((level) => level.priceRaw), [1005000, 1010000, 1020000])

    const bids = seedLevels(message('1,4,7,8,995000,1'), ROW).bids
    assert.deepEqual(bids.map((level) => level.priceRaw), [995000, 990000, 980000])
  })

  it('leaves the book unchanged for a hidden execution', () => {
    const levels = seedLevels(message('1,5,0,8,1000000,1'), ROW)
    assert.deepEqual(levels, { bids: ROW.bids, asks: ROW.asks })
  })

  it('does not modify the row it starts from', () => {
    seedLevels(message('1,3,7,25,980000,1'), ROW)
    assert.equal(ROW.bids[1].size, 40)
  })
})

describe('buildPlan', () => {
  const messages = parseMessages([
    '1,5,0,3,1000000,1', //   1: hidden execution, also the seed's first message
    '2,1,11,5,995000,1', //   2: new bid
    '3,2,11,2,995000,1', //   3: partial cancel of the new bid
    '4,3,11,3,995000,1', //   4: deletion of the new bid
    '5,3,90,4,990000,1', //   5: deletion of an order resting before the file
    '6,3,91,4,970000,1', //   6: deletion at a level the seed does not cover
    '7,4,92,6,1010000,-1', // 7: execution of a resting ask
    '8,2,93,1,980000,1', //   8: partial cancel of an order resting before the file
    '9,1,11,5,995000,1', //   9: an order id the file already used
    '10,6,0,1,1000000,1', // 10: cross trade
    '11,7,0,0,-1,1', //      11: trading halt
  ].join('\n'))
  const plan = buildPlan(messages, ROW)

  it('seeds one GTC order a level, bids then asks', () => {
    assert.deepEqual(plan.seed.map((order) => [order.ref, order.quantity, order.timeInForce]), [
      [seedRef('buy', 990000), 30, 'GTC'],
      [seedRef('buy', 980000), 40, 'GTC'],
      [seedRef('sell', 1010000), 10, 'GTC'],
      [seedRef('sell', 1020000), 20, 'GTC'],
    ])
  })

  it('turns a new order into a GTC limit order', () => {
    assert.deepEqual(plan.steps[1].commands, [
      { kind: 'submit', ref: orderRef(11), side: 'buy', priceRaw: 995000, quantity: 5, timeInForce: 'GTC' },
    ])
  })

  it('reduces a known order by a partial cancel', () => {
    assert.deepEqual(plan.steps[2].commands, [{ kind: 'reduce', ref: orderRef(11), size: 2 }])
  })

  it('cancels a known order on deletion', () => {
    assert.deepEqual(plan.steps[3].commands, [{ kind: 'cancel', ref: orderRef(11) }])
  })

  it('reduces the seed level for an order predating the file', () => {
    assert.deepEqual(plan.steps[4].commands, [{ kind: 'reduce', ref: seedRef('buy', 990000), size: 4 }])
    assert.deepEqual(plan.steps[7].commands, [{ kind: 'reduce', ref: seedRef('buy', 980000), size: 1 }])
  })

  it('skips a deletion outside the seed', () => {
    assert.deepEqual(plan.steps[5].commands, [])
    assert.equal(plan.steps[5].skipReason, 'unseeded_order')
  })

  it('turns an execution into an IOC of the other side', () => {
    assert.deepEqual(plan.steps[6].commands, [
      { kind: 'submit', ref: takerRef(7), side: 'buy', priceRaw: 1010000, quantity: 6, timeInForce: 'IOC' },
    ])
  })

  it('skips events that change no visible level', () => {
    assert.equal(plan.steps[0].skipReason, 'hidden_execution')
    assert.equal(plan.steps[9].skipReason, 'cross_trade')
    assert.equal(plan.steps[10].skipReason, 'trading_halt')
  })

  it('skips a repeated order id', () => {
    assert.equal(plan.steps[8].skipReason, 'duplicate_order_id')
  })

  it('keeps one step a message, in order', () => {
    assert.deepEqual(plan.steps.map((step) => step.message.row), messages.map((m) => m.row))
  })

  it('returns an empty plan for no messages', () => {
    assert.deepEqual(buildPlan([], ROW), { seed: [], steps: [] })
  })
})

describe('buildPlan on the AAPL sample', () => {
  const data = readLobsterDir(resolveLobsterDir())
  const plan = buildPlan(data.messages, data.books[0])

  it('seeds the first row without message 1', () => {
    // Message 1 placed the best bid (585.33 x 18), so the seed's best bid is row 1's second.
    assert.equal(plan.seed.length, 19)
    assert.equal(plan.seed[0].ref, seedRef('buy', 5853000))
    assert.equal(plan.seed[0].quantity, 150)
    assert.ok(!plan.seed.some((order) => order.ref === seedRef('buy', 5853300)))
  })

  it('covers every message with commands or a reason', () => {
    const kinds = new Map<string, number>()
    for (const step of plan.steps) {
      const key = step.skipReason ?? step.commands.map((c) => (c.kind === 'submit' ? c.timeInForce : c.kind)).join('+')
      kinds.set(key, (kinds.get(key) ?? 0) + 1)
    }
    assert.deepEqual(Object.fromEntries(kinds), {
      GTC: 471,
      IOC: 98,
      // Deletions: 364 of orders the file submitted, 5 of orders resting before it.
      cancel: 364,
      reduce: 5,
      hidden_execution: 61,
    })
  })
})
