import assert from 'node:assert/strict'
import { test } from 'node:test'

import { MatchingEngine } from '../../../src/core/matching-engine.ts'
import { SnapshotError } from '../../../src/core/snapshot.ts'
import { Fnv1a64 } from '../../../src/core/state-hash.ts'
import type { NewOrder, Side } from '../../../src/core/types.ts'

function order(id: string, side: Side, priceTicks: number, quantityLots: number): NewOrder {
  return {
    id,
    clientId: `client-${id}`,
    side,
    type: 'limit',
    priceTicks,
    quantityLots,
    timeInForce: 'GTC',
    timestampMs: 1000,
  }
}

/** Two symbols with a few levels each, one partially filled order, and a cancelled id. */
function sampleEngine(): MatchingEngine {
  const engine = new MatchingEngine()
  engine.submit(1, 'AAA', order('a1', 'sell', 101, 5))
  engine.submit(2, 'AAA', order('a2', 'sell', 101, 3))
  engine.submit(3, 'AAA', order('a3', 'sell', 103, 2))
  engine.submit(4, 'AAA', order('b1', 'buy', 99, 4))
  engine.submit(5, 'AAA', order('b2', 'buy', 101, 2))
  engine.submit(6, 'BBB', order('x1', 'buy', 50, 10))
  engine.submit(7, 'BBB', order('x2', 'buy', 49, 1))
  engine.cancel(8, 'BBB', 'x2', 1000)
  return engine
}

test('books created per symbol', () => {
  const engine = sampleEngine()
  assert.deepEqual(engine.symbols(), ['AAA', 'BBB'])
  assert.equal(engine.book('CCC'), undefined)
  assert.equal(engine.getOrder('BBB', 'a1'), null)
  assert.equal(engine.getOrder('AAA', 'a1')?.filledLots, 2)
  assert.equal(engine.lastSeq, 8)
})

test('unknown symbol queries', () => {
  const engine = sampleEngine()
  assert.deepEqual(engine.depth('CCC', 5), { bids: [], asks: [] })
  assert.equal(engine.level('CCC', 'buy', 1), null)
  assert.deepEqual(engine.restingOrders('CCC', 'sell'), [])
  assert.equal(engine.getOrder('CCC', 'a1'), null)
})

test('cancel and modify on unknown symbol', () => {
  const engine = sampleEngine()
  const cancelled = engine.cancel(9, 'CCC', 'a1', 1)
  assert.equal(cancelled.code, 'unknown_order')
  assert.equal(cancelled.order, null)
  assert.equal(engine.modify(10, 'CCC', 'a1', { quantityLots: 1 }, 1).code, 'unknown_order')
  assert.equal(engine.book('CCC'), undefined, 'no book created')
  assert.equal(engine.getOrder('AAA', 'a1')?.remainingLots, 3)
})

test('seq increases across symbols', () => {
  const engine = sampleEngine()
  const stale = engine.submit(8, 'CCC', order('c1', 'buy', 1, 1))
  assert.equal(stale.code, 'stale_sequence')
  assert.equal(engine.book('CCC'), undefined)
  assert.equal(engine.cancel(3, 'AAA', 'a1', 1).code, 'stale_sequence')
  assert.equal(engine.getOrder('AAA', 'a1')?.status, 'partially_filled')
  assert.throws(() => engine.submit(-1, 'AAA', order('c1', 'buy', 1, 1)), RangeError)
})

test('depth best first and bounded', () => {
  const engine = sampleEngine()
  assert.deepEqual(engine.depth('AAA', 10), {
    bids: [{ priceTicks: 99, quantityLots: 4, orderCount: 1 }],
    asks: [
      { priceTicks: 101, quantityLots: 6, orderCount: 2 },
      { priceTicks: 103, quantityLots: 2, orderCount: 1 },
    ],
  })
  assert.deepEqual(engine.depth('AAA', 1).asks, [{ priceTicks: 101, quantityLots: 6, orderCount: 2 }])
  assert.deepEqual(engine.depth('AAA', 0), { bids: [], asks: [] })
})

test('level and resting order queries', () => {
  const engine = sampleEngine()
  assert.deepEqual(engine.level('AAA', 'sell', 101), { quantityLots: 6, orderCount: 2 })
  assert.equal(engine.level('AAA', 'sell', 102), null)
  assert.equal(engine.level('AAA', 'buy', 101), null)
  assert.deepEqual(engine.restingOrders('AAA', 'sell').map((resting) => resting.id), ['a1', 'a2', 'a3'])
  assert.deepEqual(engine.restingOrders('BBB', 'buy').map((resting) => resting.id), ['x1'])
})

test('order JSON has no links', () => {
  const engine = sampleEngine()
  const json = JSON.parse(JSON.stringify(engine.getOrder('AAA', 'a1')))
  assert.equal(json.notional, '202')
  assert.equal(json.level, undefined)
  assert.equal(json.next, undefined)
  assert.equal(json.status, 'partially_filled')
})

test('snapshot is plain JSON', () => {
  const engine = sampleEngine()
  const snapshot = engine.snapshot()
  const copy = JSON.parse(JSON.stringify(snapshot))
  assert.deepEqual(copy, snapshot)
  assert.equal(snapshot.lastSeq, 8)
  assert.deepEqual(snapshot.books.map((book) => book.symbol), ['AAA', 'BBB'])

  const [aaa, bbb] = snapshot.books
  assert.deepEqual(aaa.orders.map((resting) => resting.id), ['b1', 'a1', 'a2', 'a3'])
  assert.deepEqual(aaa.seenIds, ['a1', 'a2', 'a3', 'b1', 'b2'])
  assert.equal(aaa.orders[1].notional, '202')
  assert.deepEqual(bbb.seenIds, ['x1', 'x2'])
})

test('restore continues identically', () => {
  const original = sampleEngine()
  const restored = MatchingEngine.restore(JSON.parse(JSON.stringify(original.snapshot())))
  assert.equal(restored.stateHash(), original.stateHash())
  assert.deepEqual(restored.checkInvariants(), [])

  for (const engine of [original, restored]) {
    const sweep = engine.submit(9, 'AAA', order('s1', 'buy', 103, 7))
    assert.deepEqual(
      sweep.fills.map((fill) => [fill.tradeId, fill.makerOrderId, fill.quantityLots]),
      [['AAA:9:1', 'a1', 3], ['AAA:9:2', 'a2', 3], ['AAA:9:3', 'a3', 1]],
    )
    assert.equal(engine.submit(10, 'BBB', order('x2', 'buy', 49, 1)).code, 'duplicate_order_id')
    assert.equal(engine.cancel(11, 'BBB', 'x2', 1).code, 'order_not_active')
    assert.equal(engine.submit(5, 'AAA', order('late', 'buy', 1, 1)).code, 'stale_sequence')
  }
  assert.equal(restored.stateHash(), original.stateHash())
  assert.deepEqual(restored.snapshot(), original.snapshot())
})

test('restore rejects malformed snapshots', () => {
  // Each case edits a fresh JSON copy of the sample snapshot in place.
  const cases: Array<{ name: string, corrupt: (snapshot: any) => unknown, message: RegExp }> = [
    {
      name: 'not an object',
      corrupt: () => 'x',
      message: /engine snapshot is not an object/,
    },
    {
      name: 'unknown format',
      corrupt: (snapshot) => ({ ...snapshot, format: 2 }),
      message: /unsupported snapshot format 2/,
    },
    {
      name: 'bad lastSeq',
      corrupt: (snapshot) => ({ ...snapshot, lastSeq: 'x' }),
      message: /lastSeq must be a safe integer/,
    },
    {
      name: 'book ahead of engine',
      corrupt: (snapshot) => ({ ...snapshot, lastSeq: 3 }),
      message: /book AAA lastSeq 5 is above the engine lastSeq 3/,
    },
    {
      name: 'duplicate book',
      corrupt: (snapshot) => ({ ...snapshot, books: [snapshot.books[0], snapshot.books[0]] }),
      message: /contains the book AAA twice/,
    },
    {
      name: 'bad notional',
      corrupt: (snapshot) => {
        snapshot.books[0].orders[1].notional = '1.5'
        return snapshot
      },
      message: /notional must be a non-negative integer string/,
    },
    {
      name: 'negative remaining',
      corrupt: (snapshot) => {
        snapshot.books[0].orders[0].remainingLots = -1
        return snapshot
      },
      message: /remainingLots must be a safe integer >= 1/,
    },
    {
      name: 'market order resting',
      corrupt: (snapshot) => {
        snapshot.books[0].orders[0].type = 'market'
        return snapshot
      },
      message: /type must be one of limit/,
    },
    {
      name: 'reason on resting order',
      corrupt: (snapshot) => {
        snapshot.books[0].orders[0].reason = 'ioc_remainder'
        return snapshot
      },
      message: /reason must be null for a resting order, got "ioc_remainder"/,
    },
    {
      name: 'wrong symbol',
      corrupt: (snapshot) => {
        snapshot.books[0].orders[0].symbol = 'BBB'
        return snapshot
      },
      message: /symbol "BBB" differs from the book AAA/,
    },
    {
      name: 'duplicate order',
      corrupt: (snapshot) => {
        snapshot.books[0].orders.push(snapshot.books[0].orders[0])
        return snapshot
      },
      message: /order b1 appears twice/,
    },
    {
      name: 'duplicate seen id',
      corrupt: (snapshot) => {
        snapshot.books[0].seenIds.push('a1')
        return snapshot
      },
      message: /order id a1 appears twice/,
    },
    {
      name: 'crossed book',
      corrupt: (snapshot) => {
        snapshot.books[0].orders[0].priceTicks = 102
        return snapshot
      },
      message: /crossed book, best bid 102 >= best ask 101/,
    },
    {
      name: 'queue out of order',
      corrupt: (snapshot) => {
        const orders = snapshot.books[0].orders
        const first = orders[1]
        orders[1] = orders[2]
        orders[2] = first
        return snapshot
      },
      message: /prioritySeq 1 not above the order ahead of it/,
    },
    {
      name: 'quantity identity',
      corrupt: (snapshot) => {
        snapshot.books[0].orders[0].quantityLots = 9
        return snapshot
      },
      message: /filled 0 \+ remaining 4 \+ cancelled 0 != quantity 9/,
    },
    {
      name: 'status mismatch',
      corrupt: (snapshot) => {
        snapshot.books[0].orders[1].status = 'open'
        return snapshot
      },
      message: /status open with 2 lots filled/,
    },
  ]

  for (const { name, corrupt, message } of cases) {
    const snapshot = JSON.parse(JSON.stringify(sampleEngine().snapshot()))
    assert.throws(
      () => MatchingEngine.restore(corrupt(snapshot)),
      (error: unknown) => error instanceof SnapshotError && message.test(error.message),
      name,
    )
  }
})

test('state hash tracks state', () => {
  const first = sampleEngine()
  const second = sampleEngine()
  assert.match(first.stateHash(), /^[0-9a-f]{16}$/)
  assert.equal(first.stateHash(), second.stateHash())

  second.modify(9, 'AAA', 'a2', { quantityLots: 2 }, 1000)
  assert.notEqual(second.stateHash(), first.stateHash())

  const empty = new MatchingEngine()
  assert.notEqual(empty.stateHash(), first.stateHash())
})

test('FNV-1a 64 test vectors', () => {
  const vectors: Array<[string, string]> = [
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ]
  for (const [text, expected] of vectors) {
    const hash = new Fnv1a64()
    for (const byte of new TextEncoder().encode(text)) {
      hash.updateByte(byte)
    }
    assert.equal(hash.digest(), expected, JSON.stringify(text))
  }
})

test('invariant check finds corruption', () => {
  const engine = sampleEngine()
  assert.deepEqual(engine.checkInvariants(), [])

  // The view is read-only by type only, so a cast can corrupt the live object.
  const resting = engine.getOrder('AAA', 'a2') as { remainingLots: number }
  resting.remainingLots = 7
  const violations = engine.checkInvariants()
  const report = violations.join('\n')
  assert.ok(violations.includes('AAA sell level 101: total 6 lots but its orders sum to 10'), report)
  assert.ok(
    violations.includes('AAA sell level 101 order a2: filled 0 + remaining 7 + cancelled 0 != quantity 3'),
    report,
  )
})

test('seen id capacity validated', () => {
  assert.throws(() => new MatchingEngine({ seenIdCapacity: 0 }), RangeError)
  assert.throws(() => new MatchingEngine({ seenIdCapacity: 1.5 }), RangeError)
  assert.doesNotThrow(() => new MatchingEngine({ seenIdCapacity: Infinity }))
})
