import assert from 'node:assert/strict'
import { test } from 'node:test'

import { OrderBook } from '../../../src/core/order-book.ts'
import { DEFAULT_SEEN_ID_CAPACITY } from '../../../src/core/types.ts'
import { cancel, gtcOrder, IMPLEMENTATIONS, limit, market, rawSubmit } from './fixtures.ts'
import { ruleTable } from './rule-table.ts'

const MAX = Number.MAX_SAFE_INTEGER

// Duplicate ids: resting, or among the ids the book remembers.
ruleTable([
  {
    name: 'duplicate of resting order',
    setup: [limit('a1', 'sell', 100, 5)],
    command: limit('a1', 'buy', 100, 5),
    code: 'duplicate_order_id',
    order: {
      id: 'a1',
      side: 'buy',
      status: 'rejected',
      reason: 'duplicate_order_id',
      cancelledLots: 5,
      remainingLots: 0,
    },
    orders: { a1: { side: 'sell', status: 'open', remainingLots: 5 } },
    unchanged: true,
  },
  {
    name: 'duplicate of filled order',
    setup: [limit('a1', 'sell', 100, 5), limit('b1', 'buy', 100, 5)],
    command: limit('a1', 'sell', 100, 5),
    code: 'duplicate_order_id',
    order: { status: 'rejected' },
    asks: [],
  },
  {
    name: 'duplicate of cancelled order',
    setup: [limit('a1', 'sell', 100, 5), cancel('a1')],
    command: limit('a1', 'sell', 100, 5),
    code: 'duplicate_order_id',
    asks: [],
  },
  {
    name: 'duplicate of IOC order',
    setup: [limit('b1', 'buy', 100, 5, 'IOC')],
    command: limit('b1', 'buy', 100, 5),
    code: 'duplicate_order_id',
    bids: [],
  },
  {
    name: 'duplicate of rejected order',
    setup: [rawSubmit({ id: 'r1', priceTicks: 0 })],
    command: rawSubmit({ id: 'r1' }),
    code: 'duplicate_order_id',
    bids: [],
  },
  {
    name: 'duplicate of market order',
    setup: [market('m1', 'buy', 5)],
    command: market('m1', 'buy', 5),
    code: 'duplicate_order_id',
  },
])

// Submissions the core rejects, each with status 'rejected' and its code as reason.
ruleTable([
  {
    name: 'limit without price',
    command: rawSubmit({ priceTicks: null }),
    code: 'invalid_price',
    order: { status: 'rejected', reason: 'invalid_price', priceTicks: null, quantityLots: 1, cancelledLots: 1 },
    bids: [],
  },
  { name: 'price zero', command: rawSubmit({ priceTicks: 0 }), code: 'invalid_price', bids: [] },
  { name: 'price negative', command: rawSubmit({ priceTicks: -5 }), code: 'invalid_price', bids: [] },
  { name: 'price fractional', command: rawSubmit({ priceTicks: 10.5 }), code: 'invalid_price', bids: [] },
  { name: 'price unsafe', command: rawSubmit({ priceTicks: MAX + 1 }), code: 'invalid_price', bids: [] },
  { name: 'price NaN', command: rawSubmit({ priceTicks: Number.NaN }), code: 'invalid_price', bids: [] },
  { name: 'price as string', command: rawSubmit({ priceTicks: '100' }), code: 'invalid_price', bids: [] },
  {
    name: 'market price undefined',
    command: rawSubmit({ type: 'market', priceTicks: undefined, timeInForce: 'IOC' }),
    code: 'invalid_price',
  },
  {
    name: 'quantity zero',
    command: rawSubmit({ quantityLots: 0 }),
    code: 'invalid_quantity',
    order: { status: 'rejected', reason: 'invalid_quantity', quantityLots: 0, cancelledLots: 0, filledLots: 0 },
    bids: [],
  },
  { name: 'quantity negative', command: rawSubmit({ quantityLots: -1 }), code: 'invalid_quantity', bids: [] },
  { name: 'quantity fractional', command: rawSubmit({ quantityLots: 1.5 }), code: 'invalid_quantity', bids: [] },
  { name: 'quantity unsafe', command: rawSubmit({ quantityLots: 2 ** 53 }), code: 'invalid_quantity', bids: [] },
  { name: 'quantity infinite', command: rawSubmit({ quantityLots: Infinity }), code: 'invalid_quantity', bids: [] },
  {
    name: 'quantity at safe maximum',
    command: rawSubmit({ quantityLots: MAX }),
    order: { status: 'open', remainingLots: MAX },
    bids: [[100, MAX, 1]],
  },
  { name: 'empty id', command: rawSubmit({ id: '' }), code: 'invalid_order', order: { status: 'rejected' } },
  { name: 'empty clientId', command: rawSubmit({ clientId: '' }), code: 'invalid_order' },
  { name: 'unknown side', command: rawSubmit({ side: 'short' }), code: 'invalid_order', bids: [], asks: [] },
  { name: 'unknown type', command: rawSubmit({ type: 'stop' }), code: 'invalid_order' },
  { name: 'unknown time in force', command: rawSubmit({ timeInForce: 'GTD' }), code: 'invalid_order', bids: [] },
  { name: 'timestamp not integer', command: rawSubmit({ timestampMs: 1.25 }), code: 'invalid_order' },
  {
    name: 'invalid id not remembered',
    setup: [rawSubmit({ id: '' })],
    command: cancel(''),
    code: 'unknown_order',
  },
  {
    name: 'level overflow rejected',
    setup: [limit('b1', 'buy', 100, MAX - 1)],
    command: limit('b2', 'buy', 100, 2),
    code: 'level_overflow',
    order: { status: 'rejected', reason: 'level_overflow', cancelledLots: 2 },
    unchanged: true,
  },
  {
    name: 'level filled to safe maximum',
    setup: [limit('b1', 'buy', 100, MAX - 1)],
    command: limit('b2', 'buy', 100, 1),
    bids: [[100, MAX, 2]],
  },
  {
    name: 'overflow ignores other levels',
    setup: [limit('b1', 'buy', 100, MAX)],
    command: limit('b2', 'buy', 99, MAX),
    bids: [[100, MAX, 1], [99, MAX, 1]],
  },
  {
    name: 'IOC never overflows a level',
    setup: [limit('b1', 'buy', 100, MAX), limit('a1', 'sell', 100, 1)],
    command: limit('b2', 'buy', 100, 5, 'IOC'),
    order: { status: 'cancelled', reason: 'ioc_remainder' },
    bids: [[100, MAX - 1, 1]],
  },
  {
    name: 'huge sweep keeps exact notional',
    setup: [limit('a1', 'sell', MAX, MAX - 1)],
    command: limit('b1', 'buy', MAX, MAX),
    fills: [[MAX, MAX - 1, 'a1']],
    order: {
      status: 'partially_filled',
      notional: (BigInt(MAX) * BigInt(MAX - 1)).toString(),
      remainingLots: 1,
    },
  },
])

test('stale sequence leaves book unchanged', async (t) => {
  for (const implementation of IMPLEMENTATIONS) {
    await t.test(implementation.name, () => {
      const book = implementation.create('T')
      const first = book.submit(5, gtcOrder('a1', 'sell', 100, 5))
      assert.equal(first.code, 'ok')

      const repeated = book.submit(5, gtcOrder('b1', 'buy', 100, 5))
      assert.equal(repeated.code, 'stale_sequence')
      assert.equal(repeated.order, null)
      assert.equal(repeated.fills.length, 0)

      assert.equal(book.cancel(4, 'a1', 1).code, 'stale_sequence')
      assert.equal(book.modify(0, 'a1', { quantityLots: 1 }, 1).code, 'stale_sequence')
      assert.equal(book.getOrder('a1')?.remainingLots, 5)
      assert.equal(book.lastSeq, 5)

      // b1 was never applied, so it is not a duplicate now.
      const later = book.submit(9, gtcOrder('b1', 'buy', 99, 1))
      assert.equal(later.code, 'ok')
      assert.equal(book.lastSeq, 9)
    })
  }
})

test('invalid seq throws', async (t) => {
  for (const implementation of IMPLEMENTATIONS) {
    await t.test(implementation.name, () => {
      const book = implementation.create('T')
      for (const seq of [-1, 1.5, Number.NaN, 2 ** 53]) {
        assert.throws(() => book.cancel(seq, 'x', 1), RangeError, `seq ${seq}`)
      }
      assert.equal(book.lastSeq, -1)
    })
  }
})

test('bounded seen ids forget oldest', async (t) => {
  for (const implementation of IMPLEMENTATIONS) {
    await t.test(implementation.name, () => {
      const book = implementation.create('T', 2)
      const order = (id: string, priceTicks: number) => gtcOrder(id, 'buy', priceTicks, 1)

      assert.equal(book.submit(1, order('a', 100)).code, 'ok')
      assert.equal(book.cancel(2, 'a', 1).code, 'ok')
      assert.equal(book.submit(3, order('b', 100)).code, 'ok')
      assert.equal(book.cancel(4, 'a', 1).code, 'order_not_active', 'a is still remembered')
      assert.equal(book.submit(5, order('c', 100)).code, 'ok')

      // 'a' is forgotten now: a cancel no longer recognizes it, and the id can be reused.
      assert.equal(book.cancel(6, 'a', 1).code, 'unknown_order')
      assert.equal(book.submit(7, order('a', 99)).code, 'ok')

      // 'b' is forgotten too, but still resting, so it stays a duplicate.
      assert.equal(book.submit(8, order('d', 98)).code, 'ok')
      assert.equal(book.submit(9, order('b', 97)).code, 'duplicate_order_id')
      assert.equal(book.getOrder('b')?.priceTicks, 100)
    })
  }
})

test('default window forgets old ids', () => {
  const book = new OrderBook('T')
  let seq = 0
  for (let i = 0; i <= DEFAULT_SEEN_ID_CAPACITY; i++) {
    book.submit(++seq, gtcOrder(`o${i}`, 'buy', 100, 1))
    book.cancel(++seq, `o${i}`, 1)
  }

  // o0 fell out of the window when o100000 was submitted, o1 did not.
  assert.equal(book.cancel(++seq, 'o1', 1).code, 'order_not_active')
  assert.equal(book.submit(++seq, gtcOrder('o1', 'buy', 100, 1)).code, 'duplicate_order_id')
  assert.equal(book.cancel(++seq, 'o0', 1).code, 'unknown_order')
  assert.equal(book.submit(++seq, gtcOrder('o0', 'buy', 100, 1)).code, 'ok')
  assert.equal(book.seenIdCount, DEFAULT_SEEN_ID_CAPACITY)
})
