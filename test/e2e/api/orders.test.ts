import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import type { CancelCommand, NewOrderCommand } from '../../../src/log/commands.ts'
import { murmur2Partition } from '../../../src/log/partitioner.ts'
import type { LevelRecord, OrderRecord, PartitionEffects, TradeRecord } from '../../../src/store/types.ts'
import { PARTITIONS, readCommands, startApi, type ApiFixture, type CommandRecord } from './fixtures.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

function effects(partial: Partial<PartitionEffects>): PartitionEffects {
  const empty = { partition: 0, lastOffset: 0, orders: [], trades: [], restingPuts: [], restingDeletes: [], levels: [] }
  return { ...empty, ...partial }
}

function limitOrder(clientId: string, symbol: string, side: 'buy' | 'sell', price: string, quantity: string) {
  return { clientId, symbol, side, type: 'limit', price, quantity }
}

function marketOrder(clientId: string, symbol: string, side: 'buy' | 'sell', quantity: string) {
  return { clientId, symbol, side, type: 'market', quantity }
}

/** Returns a readCommands predicate: the new-order command of `orderId` was read. */
function hasNewOrder(orderId: string) {
  return (read: CommandRecord[]) => read.some(({ command }) => command.kind === 'new' && command.id === orderId)
}

describe('API with file log and dynalite', () => {
  let api: ApiFixture

  before(async () => {
    api = await startApi()
  })
  after(async () => {
    await api?.close()
  })

  async function submit(body: Record<string, unknown>): Promise<OrderRecord> {
    const response = await api.app.inject({ method: 'POST', url: '/orders', payload: body })
    assert.equal(response.statusCode, 202, response.body)
    return response.json()
  }

  /** Stores the order as the engine would after a partial fill, at `version`. */
  async function persistPartialFill(order: OrderRecord, filled: string, remaining: string, version: number) {
    const partial: OrderRecord = {
      ...order,
      status: 'partially_filled',
      filledQuantity: filled,
      remainingQuantity: remaining,
      matched: true,
      version,
    }
    await api.store.persist(effects({ lastOffset: version, orders: [partial] }))
  }

  async function listIds(query: string): Promise<string[]> {
    const response = await api.app.inject({ method: 'GET', url: `/orders?${query}` })
    assert.equal(response.statusCode, 200, response.body)
    return response.json().items.map((order: OrderRecord) => order.id)
  }

  test('POST /orders returns the accepted record', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: '{"clientId":"c-shape","clientOrderId":"ref-1","symbol":"AAPL","side":"buy","type":"limit",' +
        '"price":150.10,"quantity":10,"timeInForce":"IOC"}',
    })
    const order = response.json()

    assert.equal(response.statusCode, 202, response.body)
    assert.match(order.id, UUID)
    assert.match(order.timestamp, ISO_MS)
    assert.deepEqual(order, {
      id: order.id,
      clientId: 'c-shape',
      clientOrderId: 'ref-1',
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      price: '150.1',
      quantity: '10',
      timeInForce: 'IOC',
      status: 'accepted',
      filledQuantity: '0',
      remainingQuantity: '10',
      cancelledQuantity: '0',
      notional: '0',
      averagePrice: null,
      matched: false,
      timestamp: order.timestamp,
      updatedAt: order.timestamp,
      version: -1,
      source: 'orders',
    })
  })

  test('accepted order is in the log', async () => {
    const order = await submit({ ...limitOrder('c-log', 'MSFT', 'sell', '', '0.0005'), price: 310.5 })
    const read = await readCommands(api.log, hasNewOrder(order.id))
    const found = read.find(({ command }) => command.kind === 'new' && command.id === order.id)!
    const command = found.command as NewOrderCommand

    assert.equal(found.record.key, 'MSFT')
    assert.equal(found.record.partition, murmur2Partition('MSFT', PARTITIONS))
    assert.deepEqual(command, {
      v: 1,
      kind: 'new',
      id: order.id,
      clientId: 'c-log',
      symbol: 'MSFT',
      side: 'sell',
      type: 'limit',
      price: '310.5',
      quantity: '0.0005',
      timeInForce: 'GTC',
      source: 'orders',
      timestamp: order.timestamp,
    })
  })

  test('accepted order readable before the engine', async () => {
    const order = await submit(marketOrder('c-store', 'AAPL', 'buy', '3'))
    const stored = await api.store.getOrder(order.id)
    const response = await api.app.inject({ method: 'GET', url: `/orders/${order.id}` })

    assert.equal(order.price, null)
    assert.equal(stored, null, 'only the engine writes orders to the store')
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), order)
  })

  test('POST /ordenes returns the Spanish shape', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/ordenes',
      payload: '{"tipo":"venta","activo":"AAPL","cantidad":7,"precio":99.95,"cliente_id":"cliente-9"}',
      headers: { 'content-type': 'application/json' },
    })
    const orden = response.json()

    assert.equal(response.statusCode, 202, response.body)
    assert.match(orden.id, UUID)
    assert.match(orden.timestamp, ISO_MS)
    assert.deepEqual(orden, {
      id: orden.id,
      timestamp: orden.timestamp,
      tipo: 'venta',
      activo: 'AAPL',
      cantidad: '7',
      precio: '99.95',
      cliente_id: 'cliente-9',
      status: 'accepted',
    })

    const read = await readCommands(api.log, hasNewOrder(orden.id))
    const command = read.find(({ command }) => command.kind === 'new' && command.id === orden.id)!.command

    assert.deepEqual(command, {
      v: 1,
      kind: 'new',
      id: orden.id,
      clientId: 'cliente-9',
      symbol: 'AAPL',
      side: 'sell',
      type: 'limit',
      price: '99.95',
      quantity: '7',
      timeInForce: 'GTC',
      source: 'ordenes',
      timestamp: orden.timestamp,
    })

    const accepted = (await api.app.inject({ method: 'GET', url: `/orders/${orden.id}` })).json()
    assert.equal(accepted.source, 'ordenes')
    assert.equal(accepted.side, 'sell')
  })

  test('POST /ordenes retry with referencia_cliente is 409', async () => {
    const payload = '{"tipo":"compra","activo":"AAPL","cantidad":"3","precio":"99.00","cliente_id":"cliente-7",' +
      '"referencia_cliente":"ref-1"}'
    const post = () => api.app.inject({
      method: 'POST',
      url: '/ordenes',
      payload,
      headers: { 'content-type': 'application/json' },
    })

    const first = await post()
    const retry = await post()

    assert.equal(first.statusCode, 202, first.body)
    assert.equal(first.json().referencia_cliente, 'ref-1')
    assert.equal(retry.statusCode, 409, retry.body)
    assert.equal(retry.json().error, 'duplicate_client_order_id')
    assert.equal(retry.json().id, first.json().id)
  })

  test('X-Client-Id header matching body accepted', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'x-client-id': 'c-header' },
      payload: limitOrder('c-header', 'AAPL', 'buy', '1', '1'),
    })

    assert.equal(response.statusCode, 202, response.body)
    assert.equal(response.json().clientId, 'c-header')
  })

  test('X-Client-Id header alone names the client', async () => {
    const { clientId: _omitted, ...body } = limitOrder('c-only-header', 'AAPL', 'buy', '1', '1')
    const response = await api.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'x-client-id': 'c-only-header' },
      payload: body,
    })

    assert.equal(response.statusCode, 202, response.body)
    assert.equal(response.json().clientId, 'c-only-header')
  })

  test('an order with no client in the body or the header is 400', async () => {
    const { clientId: _omitted, ...body } = limitOrder('c-none', 'AAPL', 'buy', '1', '1')
    const response = await api.app.inject({ method: 'POST', url: '/orders', payload: body })

    assert.equal(response.statusCode, 400, response.body)
    assert.deepEqual(response.json().details, [
      { field: 'clientId', rule: 'required', message: 'is required, in the body or as the X-Client-Id header' },
    ])
  })

  test('DELETE unknown order is 404', async () => {
    const url = '/orders/6c4b6f1e-1d7a-4c39-9f59-0a8f2b0c0d11'
    const response = await api.app.inject({ method: 'DELETE', url })

    assert.equal(response.statusCode, 404)
    assert.equal(response.json().error, 'order_not_found')
  })

  test('DELETE accepted order appends a cancel', async () => {
    const order = await submit(limitOrder('c-cancel', 'TSLA', 'buy', '200', '1'))
    const response = await api.app.inject({ method: 'DELETE', url: `/orders/${order.id}` })
    const body = response.json()

    assert.equal(response.statusCode, 202, response.body)
    assert.equal(body.id, order.id)
    assert.equal(body.status, 'cancel_requested')
    assert.match(body.timestamp, ISO_MS)

    const isCancel = (command: { kind: string }, orderId: string) =>
      command.kind === 'cancel' && (command as CancelCommand).orderId === orderId
    const read = await readCommands(api.log, (all) => all.some(({ command }) => isCancel(command, order.id)))
    const placed = read.find(({ command }) => command.kind === 'new' && command.id === order.id)!
    const cancel = read.find(({ command }) => isCancel(command, order.id))!

    assert.equal(cancel.record.key, 'TSLA')
    assert.equal(cancel.record.partition, placed.record.partition)
    assert.ok(cancel.record.offset > placed.record.offset, 'cancel sequenced after the order')
    assert.deepEqual(cancel.command, {
      v: 1,
      kind: 'cancel',
      orderId: order.id,
      symbol: 'TSLA',
      clientId: 'c-cancel',
      timestamp: body.timestamp,
    })
  })

  for (const status of ['filled', 'cancelled', 'rejected'] as const) {
    test(`DELETE ${status} order is 409`, async () => {
      const order = await submit(limitOrder('c-final', 'AAPL', 'sell', '5', '2'))
      const final: OrderRecord = { ...order, status, version: 9 }
      await api.store.persist(effects({ lastOffset: 9, orders: [final] }))

      const response = await api.app.inject({ method: 'DELETE', url: `/orders/${order.id}` })

      assert.equal(response.statusCode, 409, response.body)
      assert.equal(response.json().error, 'order_not_active')
      assert.equal(response.json().status, status)
    })
  }

  test('DELETE partially filled order is 202', async () => {
    const order = await submit(limitOrder('c-partial', 'AAPL', 'sell', '5', '2'))
    await persistPartialFill(order, '1', '1', 3)

    const response = await api.app.inject({ method: 'DELETE', url: `/orders/${order.id}` })

    assert.equal(response.statusCode, 202, response.body)
  })

  for (const order of [
    { kind: 'an IOC limit order', body: { ...limitOrder('c-ioc', 'AAPL', 'buy', '1', '1'), timeInForce: 'IOC' } },
    { kind: 'a market order', body: marketOrder('c-mkt', 'AAPL', 'buy', '1') },
  ]) {
    test(`PATCH and DELETE of ${order.kind} are 409`, async () => {
      const placed = await submit(order.body)

      const patch = await api.app.inject({ method: 'PATCH', url: `/orders/${placed.id}`, payload: { quantity: '2' } })
      const cancel = await api.app.inject({ method: 'DELETE', url: `/orders/${placed.id}` })

      for (const response of [patch, cancel]) {
        assert.equal(response.statusCode, 409, response.body)
        assert.equal(response.json().error, 'order_not_active')
        assert.match(response.json().message, new RegExp(`is ${order.kind}, which never rests`))
      }
    })
  }

  test('PATCH past maxQuantity with fills is 400', async () => {
    const order = await submit(limitOrder('c-cap', 'AAPL', 'sell', '5', '1000000000'))
    await persistPartialFill(order, '600000000', '400000000', 4)

    const above = await api.app.inject({ method: 'PATCH', url: `/orders/${order.id}`, payload: { quantity: '400000001' } })
    assert.equal(above.statusCode, 400, above.body)
    const [detail] = above.json().details
    assert.equal(detail.field, 'quantity')
    assert.equal(detail.rule, 'above_maximum')
    assert.match(detail.message, /600000000 filled and 400000001 remaining, must be at most 1000000000/)

    const within = await api.app.inject({ method: 'PATCH', url: `/orders/${order.id}`, payload: { quantity: '400000000' } })
    assert.equal(within.statusCode, 202, within.body)
  })

  test('GET /orders filters and pages', async () => {
    const symbol = 'FLTR'
    const placed: OrderRecord[] = []
    for (let i = 0; i < 5; i++) {
      const clientId = i % 2 === 0 ? 'c-even' : 'c-odd'
      placed.push(await submit(limitOrder(clientId, symbol, 'buy', `${10 + i}`, '1')))
      // Listing order is acceptance time in milliseconds, then id, so
      // orders accepted within one millisecond have no arrival order.
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    // No engine runs here, so the test stores the orders as the engine would.
    for (const order of placed) await api.store.putAcceptedOrder(order)
    const ids = placed.map((order) => order.id)
    const filled: OrderRecord = {
      ...placed[0],
      status: 'filled',
      filledQuantity: '1',
      remainingQuantity: '0',
      matched: true,
      version: 4,
    }
    await api.store.persist(effects({ lastOffset: 4, orders: [filled] }))

    assert.deepEqual(await listIds(`symbol=${symbol}`), [...ids].reverse())
    assert.deepEqual(await listIds(`symbol=${symbol}&clientId=c-even`), [ids[4], ids[2], ids[0]])
    assert.deepEqual(await listIds(`symbol=${symbol}&matched=true`), [ids[0]])
    assert.deepEqual(await listIds(`symbol=${symbol}&status=filled`), [ids[0]])
    assert.deepEqual(await listIds(`symbol=${symbol}&status=accepted&matched=false`), [ids[4], ids[3], ids[2], ids[1]])

    const seen: string[] = []
    let cursor: string | undefined
    do {
      const query = cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`
      const url = `/orders?symbol=${symbol}&limit=2${query}`
      const response = await api.app.inject({ method: 'GET', url })
      const page = response.json()
      assert.equal(response.statusCode, 200, response.body)
      assert.ok(page.items.length <= 2)
      seen.push(...page.items.map((order: OrderRecord) => order.id))
      cursor = page.nextCursor
    } while (cursor !== undefined)
    assert.deepEqual(seen, [...ids].reverse())
  })

  test('GET /orders default limit', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/orders' })

    assert.equal(response.statusCode, 200)
    assert.ok(Array.isArray(response.json().items))
    assert.ok(response.json().items.length <= 50)
  })

  test('GET /orders bad cursor is 400', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/orders?cursor=bm90LWEtY3Vyc29y' })
    const body = response.json()

    assert.equal(response.statusCode, 400, response.body)
    assert.equal(body.error, 'validation_failed')
    assert.equal(body.details[0].field, 'cursor')
    assert.equal(body.details[0].rule, 'invalid_cursor')
  })

  test('GET /orders/:id unknown is 404', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/orders/no-such-order' })

    assert.equal(response.statusCode, 404)
    assert.equal(response.json().error, 'order_not_found')
  })

  test('GET trades of unknown order is 404', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/orders/no-such-order/trades' })

    assert.equal(response.statusCode, 404)
    assert.equal(response.json().error, 'order_not_found')
  })

  test('GET trades of an order', async () => {
    const maker = await submit(limitOrder('c-maker', 'TRD', 'sell', '50', '2'))
    const taker = await submit(marketOrder('c-taker', 'TRD', 'buy', '2'))
    const trade: TradeRecord = {
      tradeId: 'TRD:12:1',
      symbol: 'TRD',
      price: '50',
      quantity: '2',
      makerOrderId: maker.id,
      takerOrderId: taker.id,
      makerClientId: 'c-maker',
      takerClientId: 'c-taker',
      takerSide: 'buy',
      timestamp: taker.timestamp,
      version: 12,
    }
    await api.store.persist(effects({ lastOffset: 12, trades: [trade] }))

    const empty = await api.app.inject({ method: 'GET', url: `/orders/${maker.id}/trades?` })
    const response = await api.app.inject({ method: 'GET', url: `/orders/${taker.id}/trades` })
    const body = response.json()

    assert.equal(empty.statusCode, 200)
    assert.equal(response.statusCode, 200, response.body)
    assert.equal(body.orderId, taker.id)
    assert.equal(body.trades.length, 1)
    assert.deepEqual(body.trades[0], {
      tradeId: 'TRD:12:1',
      symbol: 'TRD',
      price: '50',
      quantity: '2',
      makerOrderId: maker.id,
      takerOrderId: taker.id,
      makerClientId: 'c-maker',
      takerClientId: 'c-taker',
      takerSide: 'buy',
      timestamp: taker.timestamp,
    })
  })

  test('GET /book best first with depth', async () => {
    const level = (side: 'buy' | 'sell', price: string, quantity: string, orderCount: number): LevelRecord => {
      const priceTicks = Number(price.replace('.', ''))
      return { symbol: 'BOOK', side, priceTicks, price, quantity, orderCount, version: 20 }
    }
    await api.store.persist(effects({
      lastOffset: 20,
      levels: [
        level('buy', '99.00', '5', 2),
        level('buy', '100.00', '1.5', 1),
        level('buy', '98.00', '7', 3),
        level('sell', '101.00', '2', 1),
        level('sell', '103.00', '4', 2),
        level('sell', '102.00', '3', 1),
      ],
    }))

    const full = (await api.app.inject({ method: 'GET', url: '/book/BOOK' })).json()
    const top = (await api.app.inject({ method: 'GET', url: '/book/BOOK?depth=2' })).json()
    const empty = (await api.app.inject({ method: 'GET', url: '/book/NONE' })).json()

    assert.deepEqual(full, {
      symbol: 'BOOK',
      bids: [
        { price: '100.00', quantity: '1.5', orders: 1 },
        { price: '99.00', quantity: '5', orders: 2 },
        { price: '98.00', quantity: '7', orders: 3 },
      ],
      asks: [
        { price: '101.00', quantity: '2', orders: 1 },
        { price: '102.00', quantity: '3', orders: 1 },
        { price: '103.00', quantity: '4', orders: 2 },
      ],
    })
    assert.deepEqual(top.bids.map((entry: { price: string }) => entry.price), ['100.00', '99.00'])
    assert.deepEqual(top.asks.map((entry: { price: string }) => entry.price), ['101.00', '102.00'])
    assert.deepEqual(empty, { symbol: 'NONE', bids: [], asks: [] })
  })

  test('ready when dependencies respond', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/ready' })

    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), {
      status: 'ready',
      checks: { log: { status: 'ok' }, store: { status: 'ok' } },
    })
  })
})
