import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { levelKey, restingOrderKey } from '../../../src/store/book-keys.ts'

const restingOrder = fc.record({
  priceTicks: fc.maxSafeNat(),
  prioritySeq: fc.maxSafeNat(),
  orderId: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
})

type Resting = { priceTicks: number; prioritySeq: number; orderId: string }

function compareText(a: string, b: string): number {
  if (a === b) return 0
  return a < b ? -1 : 1
}

/** Price-time priority: better price first, then earlier prioritySeq, then order id. */
function priceTime(side: 'buy' | 'sell', a: Resting, b: Resting): number {
  if (a.priceTicks !== b.priceTicks) {
    return side === 'buy' ? b.priceTicks - a.priceTicks : a.priceTicks - b.priceTicks
  }
  if (a.prioritySeq !== b.prioritySeq) return a.prioritySeq - b.prioritySeq
  return compareText(a.orderId, b.orderId)
}

for (const side of ['buy', 'sell'] as const) {
  test(`resting keys sort in price-time order (${side})`, () => {
    fc.assert(
      fc.property(restingOrder, restingOrder, (a, b) => {
        const byKey = compareText(
          restingOrderKey(side, a.priceTicks, a.prioritySeq, a.orderId),
          restingOrderKey(side, b.priceTicks, b.prioritySeq, b.orderId),
        )
        assert.equal(Math.sign(byKey), Math.sign(priceTime(side, a, b)))
      }),
    )
  })
}

test('level keys share the resting key prefix', () => {
  fc.assert(
    fc.property(restingOrder, fc.constantFrom('buy' as const, 'sell' as const), (order, side) => {
      const key = restingOrderKey(side, order.priceTicks, order.prioritySeq, order.orderId)
      assert.ok(key.startsWith(levelKey(side, order.priceTicks)))
    }),
  )
})

test('keys start with the side letter', () => {
  assert.equal(levelKey('buy', 5), `B${String(Number.MAX_SAFE_INTEGER - 5).padStart(16, '0')}`)
  assert.equal(levelKey('sell', 5), 'S0000000000000005')
  assert.equal(restingOrderKey('sell', 5, 42, 'o-1'), 'S0000000000000005#0000000000000042#o-1')
})

test('keys reject unsafe or negative integers', () => {
  for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
    assert.throws(() => levelKey('buy', bad), RangeError, `priceTicks ${bad}`)
    assert.throws(() => restingOrderKey('sell', 1, bad, 'o'), RangeError, `prioritySeq ${bad}`)
  }
  assert.throws(() => restingOrderKey('sell', 1, 1, ''), RangeError)
})
