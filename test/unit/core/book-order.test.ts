import assert from 'node:assert/strict'
import test from 'node:test'
import fc from 'fast-check'
import { BookOrder } from '../../../src/core/book-order.ts'

const MAX = Number.MAX_SAFE_INTEGER

function newOrder(): BookOrder {
  return new BookOrder('a1', 'client-a1', 'T', 'buy', 'limit', 'GTC', 100, 10, 0, 1)
}

test('notional sums fills exactly', () => {
  const safeInteger = fc.oneof(
    fc.integer({ min: 1, max: 1_000 }),
    fc.integer({ min: 1, max: MAX }),
    fc.constant(MAX),
  )
  fc.assert(
    fc.property(fc.array(fc.tuple(safeInteger, safeInteger), { maxLength: 20 }), (fills) => {
      const order = newOrder()
      let expected = 0n
      for (const [priceTicks, lots] of fills) {
        order.addNotional(priceTicks, lots)
        expected += BigInt(priceTicks) * BigInt(lots)
        assert.equal(order.notional, expected)
      }
    }),
  )
})

test('notional carries past the safe range', () => {
  const order = newOrder()
  order.addNotional(2 ** 26, 2 ** 26)
  order.addNotional(1, 2 ** 52 - 1)
  assert.equal(order.notionalSafe, MAX, 'a sum of exactly MAX_SAFE_INTEGER stays a number')
  assert.equal(order.notionalCarry, 0n)

  order.addNotional(1, 1)
  assert.equal(order.notional, BigInt(MAX) + 1n)
  assert.equal(order.notionalSafe, 0)

  order.addNotional(MAX, MAX)
  assert.equal(order.notional, BigInt(MAX) + 1n + BigInt(MAX) * BigInt(MAX))
})

test('notional setter replaces the sum', () => {
  const order = newOrder()
  order.addNotional(7, 3)
  order.notional = 10n ** 20n
  assert.equal(order.notional, 10n ** 20n)
  order.addNotional(1, 1)
  assert.equal(order.notional, 10n ** 20n + 1n)
})
