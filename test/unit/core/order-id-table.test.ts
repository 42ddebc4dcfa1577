import assert from 'node:assert/strict'
import test from 'node:test'
import fc from 'fast-check'
import { hashOrderId, OrderIdTable } from '../../../src/core/order-id-table.ts'

type Operation = { kind: 'set' | 'delete' | 'get', id: string, value: number }

const operationArbitrary: fc.Arbitrary<Operation> = fc.record({
  kind: fc.constantFrom('set', 'set', 'delete', 'get'),
  // A small id space makes repeats, deletes of present ids and long probe runs common.
  id: fc.integer({ min: 0, max: 60 }).map((n) => `id-${n}`),
  value: fc.nat(),
})

/** Checks the table against a Map after every operation, with ids hashed by `hash`. */
function checkAgainstMap(operations: Operation[], hash: (id: string) => number): void {
  const table = new OrderIdTable<number>()
  const expected = new Map<string, number>()

  for (const { kind, id, value } of operations) {
    if (kind === 'set') {
      table.set(id, hash(id), value)
      expected.set(id, value)
    } else if (kind === 'delete') {
      assert.equal(table.delete(id, hash(id)), expected.delete(id), `delete ${id}`)
    }
    assert.equal(table.get(id, hash(id)), expected.get(id), `get ${id} after ${kind}`)
    assert.equal(table.size, expected.size, 'size')
  }

  for (const [id, value] of expected) {
    assert.equal(table.get(id, hash(id)), value, `final get ${id}`)
  }
  assert.deepEqual(new Map(table.entries()), expected)
}

test('id table agrees with Map', () => {
  fc.assert(
    fc.property(fc.array(operationArbitrary, { maxLength: 400 }), (operations) => {
      checkAgainstMap(operations, hashOrderId)
    }),
    { numRuns: 200 },
  )
})

test('id table agrees with Map under collisions', () => {
  // Few distinct hashes, several of them on one home slot, so deletes must
  // shift entries across runs and around the end of the array.
  const collidingHash = (id: string): number => [1, 17, 33, 15, 31][hashOrderId(id) & 3]
  fc.assert(
    fc.property(fc.array(operationArbitrary, { maxLength: 400 }), (operations) => {
      checkAgainstMap(operations, collidingHash)
    }),
    { numRuns: 200 },
  )
})

test('id table grows past many ids', () => {
  const table = new OrderIdTable<number>()
  for (let i = 0; i < 10_000; i++) {
    table.set(`o${i}`, hashOrderId(`o${i}`), i)
  }
  for (let i = 0; i < 10_000; i += 2) {
    assert.equal(table.delete(`o${i}`, hashOrderId(`o${i}`)), true)
  }
  assert.equal(table.size, 5_000)
  assert.equal(table.get('o9999', hashOrderId('o9999')), 9999)
  assert.equal(table.get('o9998', hashOrderId('o9998')), undefined)
})

test('id hash is never zero', () => {
  fc.assert(
    fc.property(fc.string(), (id) => {
      assert.notEqual(hashOrderId(id), 0)
    }),
  )
})
