import assert from 'node:assert/strict'
import test from 'node:test'
import fc from 'fast-check'
import { hashOrderId } from '../../../src/core/order-id-table.ts'
import { SeenIdWindow } from '../../../src/core/seen-id-window.ts'

/**
 * Adds each id not yet remembered to a window and to a plain list that keeps
 * the last `capacity` ids, and compares both after every step.
 */
function checkAgainstList(ids: string[], capacity: number, hash: (id: string) => number): void {
  const window = new SeenIdWindow(capacity)
  let expected: string[] = []

  for (const id of ids) {
    const remembered = expected.includes(id)
    assert.equal(window.has(id, hash(id)), remembered, `has ${id} before adding`)
    if (remembered) {
      continue
    }

    window.add(id, hash(id))
    expected.push(id)
    if (expected.length > capacity) {
      expected = expected.slice(1)
    }
    assert.equal(window.size, expected.length, 'size')
  }

  assert.deepEqual(window.ids(), expected)
  for (const id of new Set(ids)) {
    assert.equal(window.has(id, hash(id)), expected.includes(id), `final has ${id}`)
  }
}

// A small id space makes repeats and re-adds of forgotten ids common.
const idsArbitrary = fc.array(
  fc.integer({ min: 0, max: 80 }).map((n) => `id-${n}`),
  { maxLength: 500 },
)

test('window keeps the most recent ids', () => {
  fc.assert(
    fc.property(idsArbitrary, fc.integer({ min: 1, max: 40 }), (ids, capacity) => {
      checkAgainstList(ids, capacity, hashOrderId)
    }),
    { numRuns: 200 },
  )
})

test('window keeps recent ids under collisions', () => {
  // Few distinct hashes, several of them on one home slot, so forgetting an
  // id must shift entries across runs and around the end of the index.
  const collidingHash = (id: string): number => [1, 257, 513, 255, 511][(hashOrderId(id) >>> 0) % 5]
  fc.assert(
    fc.property(idsArbitrary, fc.integer({ min: 1, max: 40 }), (ids, capacity) => {
      checkAgainstList(ids, capacity, collidingHash)
    }),
    { numRuns: 200 },
  )
})

test('unbounded window grows past many ids', () => {
  const window = new SeenIdWindow(Number.POSITIVE_INFINITY)
  for (let i = 0; i < 20_000; i++) {
    window.add(`o${i}`, hashOrderId(`o${i}`))
  }

  assert.equal(window.size, 20_000)
  for (let i = 0; i < 20_000; i += 997) {
    assert.equal(window.has(`o${i}`, hashOrderId(`o${i}`)), true)
  }
  assert.equal(window.has('o20000', hashOrderId('o20000')), false)
  assert.deepEqual(window.ids().slice(0, 3), ['o0', 'o1', 'o2'])
})

test('full seen-id window forgets oldest first', () => {
  const window = new SeenIdWindow(1_000)
  for (let i = 0; i < 25_500; i++) {
    window.add(`o${i}`, hashOrderId(`o${i}`))
  }

  assert.equal(window.size, 1_000)
  assert.equal(window.has('o24499', hashOrderId('o24499')), false)
  assert.equal(window.has('o24500', hashOrderId('o24500')), true)
  assert.equal(window.has('o25499', hashOrderId('o25499')), true)
  assert.deepEqual(window.ids(), Array.from({ length: 1_000 }, (_, i) => `o${24_500 + i}`))
})
