import assert from 'node:assert/strict'
import { test } from 'node:test'

import { toAcceptedRecord } from '../../../src/api/accept-order.ts'
import { RecentOrders } from '../../../src/api/recent-orders.ts'

function accepted(id: string) {
  return toAcceptedRecord({
    v: 1,
    kind: 'new',
    id,
    clientId: 'c',
    symbol: 'AAPL',
    side: 'buy',
    type: 'limit',
    price: '1',
    quantity: '1',
    timeInForce: 'GTC',
    timestamp: '2026-01-01T00:00:00.000Z',
    source: 'orders',
  })
}

test('recent orders evict the oldest past capacity', () => {
  const recent = new RecentOrders(2)
  recent.add(accepted('a'))
  recent.add(accepted('b'))
  recent.add(accepted('c'))

  assert.equal(recent.get('a'), undefined)
  assert.equal(recent.get('b')?.id, 'b')
  assert.equal(recent.get('c')?.id, 'c')
})

test('recent orders reject a capacity below one', () => {
  assert.throws(() => new RecentOrders(0), RangeError)
})
