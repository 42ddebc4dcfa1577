import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { InvalidCursorError, type OrderFilter, type OrderRecord, type OrderStatus } from '../../../src/store/types.ts'
import { makeOrder, startStore, type StoreFixture } from './fixtures.ts'

const CLIENTS = ['client-a', 'client-b', 'client-c']
const SYMBOLS = ['BTC-USD', 'ETH-USD']
const STATUSES: OrderStatus[] = ['open', 'partially_filled', 'filled', 'cancelled']

/** Expected listing order: the index sort key, newest first, ties by id. */
function newestFirst(a: OrderRecord, b: OrderRecord): number {
  const byTime = Date.parse(b.timestamp) - Date.parse(a.timestamp)
  if (byTime !== 0) return byTime

  if (a.id === b.id) return 0
  return a.id < b.id ? 1 : -1
}

function matches(order: OrderRecord, filter: OrderFilter): boolean {
  return (
    (filter.clientId === undefined || order.clientId === filter.clientId) &&
    (filter.symbol === undefined || order.symbol === filter.symbol) &&
    (filter.status === undefined || order.status === filter.status) &&
    (filter.matched === undefined || order.matched === filter.matched)
  )
}

/** Builds every combination of absent and present filter fields. */
function filterCombinations(): OrderFilter[] {
  const filters: OrderFilter[] = []
  for (const clientId of [undefined, 'client-a', 'client-b']) {
    for (const symbol of [undefined, 'ETH-USD']) {
      for (const status of [undefined, 'filled', 'open'] as const) {
        for (const matched of [undefined, true, false]) {
          const filter: OrderFilter = {}
          if (clientId !== undefined) filter.clientId = clientId
          if (symbol !== undefined) filter.symbol = symbol
          if (status !== undefined) filter.status = status
          if (matched !== undefined) filter.matched = matched
          filters.push(filter)
        }
      }
    }
  }
  return filters
}

describe('orders', () => {
  let fixture: StoreFixture
  const orders: OrderRecord[] = []

  before(async () => {
    fixture = await startStore()

    for (let i = 0; i < 48; i++) {
      const status = STATUSES[i % STATUSES.length]
      // Every third pair of orders shares a timestamp, so ties need the id.
      const second = String(Math.floor(i / 2)).padStart(2, '0')
      orders.push(
        makeOrder({
          id: `order-${String((i * 37) % 48).padStart(3, '0')}`,
          clientId: CLIENTS[i % CLIENTS.length],
          symbol: SYMBOLS[Math.floor(i / 3) % SYMBOLS.length],
          status,
          matched: status === 'filled' || status === 'partially_filled' || i % 8 === 3,
          timestamp: i % 3 === 0 ? `2030-01-01T00:00:${second}.000Z` : `2030-01-01T00:01:${second}.${String(i).padStart(3, '0')}Z`,
          version: i,
        }),
      )
    }
    // An offset other than Z: 01:30+02:00 is 23:30Z on the day before, the oldest.
    orders.push(makeOrder({ id: 'order-offset', clientId: 'client-a', status: 'open', timestamp: '2030-01-01T01:30:00.000+02:00' }))

    await fixture.store.persist({
      partition: 0,
      lastOffset: 100,
      orders,
      trades: [],
      restingPuts: [],
      restingDeletes: [],
      levels: [],
    })
  })

  after(async () => {
    await fixture.close()
  })

  test('getOrder round-trips every field', async () => {
    const order = makeOrder({
      clientOrderId: 'mine-1',
      type: 'market',
      price: null,
      status: 'rejected',
      reason: 'fok_not_fillable',
      averagePrice: '100.12345678',
      notional: '0.000000000000000001',
    })
    await fixture.store.putAcceptedOrder(order)

    assert.deepEqual(await fixture.store.getOrder(order.id), order)
  })

  test('getOrder returns null for an unknown id', async () => {
    assert.equal(await fixture.store.getOrder('no-such-order'), null)
  })

  test('putAcceptedOrder keeps an existing copy', async () => {
    const engineCopy = makeOrder({ status: 'open', version: 7 })
    await fixture.store.persist({
      partition: 1,
      lastOffset: 7,
      orders: [engineCopy],
      trades: [],
      restingPuts: [],
      restingDeletes: [],
      levels: [],
    })

    await fixture.store.putAcceptedOrder({ ...engineCopy, status: 'accepted', version: 0 })

    assert.deepEqual(await fixture.store.getOrder(engineCopy.id), engineCopy)
  })

  test('listOrders returns all matches newest first for every filter', async () => {
    for (const filter of filterCombinations()) {
      const expected = orders.filter((order) => matches(order, filter)).sort(newestFirst).map((order) => order.id)
      const page = await fixture.store.listOrders(filter, 1000)
      const ids = page.items.map((order) => order.id).filter((id) => id.startsWith('order-'))

      assert.deepEqual(ids, expected, `filter ${JSON.stringify(filter)}`)
    }
  })

  test('listOrders pages without duplicates or gaps', async () => {
    for (const filter of filterCombinations()) {
      const expected = orders.filter((order) => matches(order, filter)).sort(newestFirst).map((order) => order.id)
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0

      do {
        const page = await fixture.store.listOrders(filter, 5, cursor)
        assert.ok(page.items.length <= 5)
        if (page.nextCursor !== undefined) assert.equal(page.items.length, 5, 'a page before the last is full')

        seen.push(...page.items.map((order) => order.id).filter((id) => id.startsWith('order-')))
        cursor = page.nextCursor
        pages++
        assert.ok(pages <= 20, `too many pages for ${JSON.stringify(filter)}`)
      } while (cursor !== undefined)

      assert.deepEqual(seen, expected, `filter ${JSON.stringify(filter)}`)
    }
  })

  test('listOrders omits nextCursor when the last page is exactly full', async () => {
    const filter: OrderFilter = { clientId: 'client-c', symbol: 'BTC-USD' }
    const total = orders.filter((order) => matches(order, filter)).length
    assert.ok(total > 1)

    const first = await fixture.store.listOrders(filter, total - 1)
    assert.ok(first.nextCursor !== undefined)

    const last = await fixture.store.listOrders(filter, 1, first.nextCursor)
    assert.equal(last.items.length, 1)
    assert.equal(last.nextCursor, undefined)
    assert.equal(Object.hasOwn(last, 'nextCursor'), false)
  })

  test('listOrders rejects garbage cursors', async () => {
    const garbage = [
      '',
      'not a cursor!',
      'abc',
      Buffer.from('not json').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
      Buffer.from(JSON.stringify({ index: 'by_shard', filter: {}, sortKey: 'x' })).toString('base64url'),
      Buffer.from(JSON.stringify({ index: 'by_shard', filter: {}, sortKey: 7 })).toString('base64url'),
      Buffer.from(JSON.stringify({ index: 'by_shard', sortKey: '2030-01-01T00:00:00.000Z#a' })).toString('base64url'),
    ]
    for (const cursor of garbage) {
      await assert.rejects(fixture.store.listOrders({}, 5, cursor), InvalidCursorError, `cursor ${JSON.stringify(cursor)}`)
    }
  })

  test('listOrders rejects a cursor of another filter', async () => {
    const page = await fixture.store.listOrders({ symbol: 'BTC-USD' }, 2)
    assert.ok(page.nextCursor !== undefined)

    await assert.rejects(fixture.store.listOrders({ symbol: 'ETH-USD' }, 2, page.nextCursor), InvalidCursorError)
    await assert.rejects(fixture.store.listOrders({ clientId: 'client-a' }, 2, page.nextCursor), InvalidCursorError)
    await assert.rejects(fixture.store.listOrders({ symbol: 'BTC-USD', matched: true }, 2, page.nextCursor), InvalidCursorError)
    await assert.rejects(fixture.store.listOrders({}, 2, page.nextCursor), InvalidCursorError)
  })

  test('listOrders rejects a limit out of range', async () => {
    for (const limit of [0, -1, 1.5, 1001, Number.NaN]) {
      await assert.rejects(fixture.store.listOrders({}, limit), RangeError, `limit ${limit}`)
    }
  })
})
