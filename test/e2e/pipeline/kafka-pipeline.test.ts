/**
 * The whole pipeline on real components: HTTP API -> Kafka broker -> engine
 * worker -> dynalite, in one `all` process.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { pino } from 'pino'
import { loadConfig } from '../../../src/config.ts'
import { startService, type Service } from '../../../src/service.ts'
import { startDynaliteProcess, type DynaliteProcess } from '../../helpers/dynalite.ts'
import { startKafka, type KafkaBroker } from '../../helpers/kafka-broker.ts'
import { request, waitFor, waitForOrder } from '../../helpers/http.ts'

const settled = (order: any) => order.status !== 'accepted'

describe('pipeline through Kafka and dynalite', () => {
  let broker: KafkaBroker
  let dynalite: DynaliteProcess
  let service: Service
  let url: string
  let dataDir: string

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pipeline-'))
    broker = await startKafka({ port: 19180, controllerPort: 19181, dataDir: join(dataDir, 'kafka') })
    dynalite = await startDynaliteProcess({ createTableMs: 0 })

    const run = `${process.pid}-${Date.now()}`
    const config = loadConfig({
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers.join(','),
      KAFKA_TOPIC_ORDENES: `orders.accepted.${run}`,
      KAFKA_GROUP_ID: `engine-${run}`,
      KAFKA_PARTITIONS: '3',
      AWS_ENDPOINT_URL: dynalite.endpoint,
      PORT: '0',
      DATA_DIR: dataDir,
      INSTRUMENTS: JSON.stringify({ XYZ: { tickSize: '0.05', lotSize: '1' } }),
    })
    service = await startService('all', config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }))
    url = service.url as string
  })

  after(async () => {
    await service?.stop()
    await dynalite?.stop()
    await broker?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  test('crossing orders trade at the maker price with exact averages', async () => {
    const ask1 = await request(url, 'POST', '/orders', { clientId: 'm1', symbol: 'ACME', side: 'sell', type: 'limit', price: '100.10', quantity: '10' })
    const ask2 = await request(url, 'POST', '/orders', { clientId: 'm2', symbol: 'ACME', side: 'sell', type: 'limit', price: 100.2, quantity: 5 })
    assert.equal(ask1.status, 202)
    assert.equal(ask2.status, 202)
    assert.equal(ask1.body.status, 'accepted')
    await waitForOrder(url, ask1.body.id, settled)
    await waitForOrder(url, ask2.body.id, settled)

    const bid = await request(url, 'POST', '/orders', { clientId: 't1', symbol: 'ACME', side: 'buy', type: 'limit', price: '101', quantity: '12', timeInForce: 'GTC' })
    assert.equal(bid.status, 202)

    const taker = await waitForOrder(url, bid.body.id, (order) => order.status === 'filled')
    assert.equal(taker.filledQuantity, '12')
    assert.equal(taker.remainingQuantity, '0')
    assert.equal(taker.notional, '1201.4')
    assert.equal(taker.averagePrice, '100.11666667')

    const maker1 = await waitForOrder(url, ask1.body.id, (order) => order.status === 'filled')
    assert.equal(maker1.filledQuantity, '10')
    const maker2 = await waitForOrder(url, ask2.body.id, (order) => order.status === 'partially_filled')
    assert.equal(maker2.remainingQuantity, '3')

    const trades = await request(url, 'GET', `/orders/${bid.body.id}/trades`)
    assert.equal(trades.status, 200)
    assert.deepEqual(
      trades.body.trades.map((t: any) => [t.price, t.quantity, t.makerOrderId]).sort(),
      [['100.1', '10', ask1.body.id], ['100.2', '2', ask2.body.id]].sort(),
    )
    const makerTrades = await request(url, 'GET', `/orders/${ask2.body.id}/trades`)
    assert.equal(makerTrades.body.trades.length, 1)

    const book = await request(url, 'GET', '/book/ACME?depth=5')
    assert.deepEqual(book.body.asks, [{ price: '100.2', quantity: '3', orders: 1 }])
    assert.deepEqual(book.body.bids, [])
  })

  test('cancel is sequenced after its order and refused once inactive', async () => {
    const order = await request(url, 'POST', '/orders', { clientId: 'c1', symbol: 'CANC', side: 'buy', type: 'limit', price: '10', quantity: '1' })
    const cancel = await request(url, 'DELETE', `/orders/${order.body.id}`)
    assert.equal(cancel.status, 202)

    const cancelled = await waitForOrder(url, order.body.id, (o) => o.status === 'cancelled')
    assert.equal(cancelled.cancelledQuantity, '1')
    assert.equal(cancelled.reason, 'cancel_requested')

    const again = await request(url, 'DELETE', `/orders/${order.body.id}`)
    assert.equal(again.status, 409)
    const unknown = await request(url, 'DELETE', '/orders/00000000-0000-4000-8000-000000000000')
    assert.equal(unknown.status, 404)

    const book = await request(url, 'GET', '/book/CANC')
    assert.deepEqual(book.body.bids, [])
  })

  test('modify keeps or loses time priority and can cross', async () => {
    const first = await request(url, 'POST', '/orders', { clientId: 'a', symbol: 'MOD', side: 'buy', type: 'limit', price: '10', quantity: '5' })
    const second = await request(url, 'POST', '/orders', { clientId: 'b', symbol: 'MOD', side: 'buy', type: 'limit', price: '10', quantity: '5' })
    await waitForOrder(url, second.body.id, settled)

    // A decrease keeps the first order ahead of the second.
    const decrease = await request(url, 'PATCH', `/orders/${first.body.id}`, { quantity: '3' })
    assert.equal(decrease.status, 202)
    await waitForOrder(url, first.body.id, (o) => o.remainingQuantity === '3')

    const sell = await request(url, 'POST', '/orders', { clientId: 's', symbol: 'MOD', side: 'sell', type: 'limit', price: '10', quantity: '3' })
    await waitForOrder(url, sell.body.id, (o) => o.status === 'filled')
    const firstDone = await waitForOrder(url, first.body.id, (o) => o.status === 'filled')
    assert.equal(firstDone.filledQuantity, '3')
    assert.equal(firstDone.cancelledQuantity, '2')

    // Repricing the second order across a new ask trades at the ask's price.
    const ask = await request(url, 'POST', '/orders', { clientId: 's', symbol: 'MOD', side: 'sell', type: 'limit', price: '10.5', quantity: '2' })
    await waitForOrder(url, ask.body.id, settled)
    const reprice = await request(url, 'PATCH', `/orders/${second.body.id}`, { price: '11' })
    assert.equal(reprice.status, 202)
    const repriced = await waitForOrder(url, second.body.id, (o) => o.filledQuantity === '2')
    assert.equal(repriced.averagePrice, '10.5')
    assert.equal(repriced.remainingQuantity, '3')
    assert.equal(repriced.price, '11')

    const book = await request(url, 'GET', '/book/MOD')
    assert.deepEqual(book.body.bids, [{ price: '11', quantity: '3', orders: 1 }])

    const badTick = await request(url, 'PATCH', `/orders/${second.body.id}`, { price: '11.001' })
    assert.equal(badTick.status, 400)
    assert.equal(badTick.body.details[0].field, 'price')
    const inactive = await request(url, 'PATCH', `/orders/${first.body.id}`, { quantity: '1' })
    assert.equal(inactive.status, 409)
  })

  test('IOC, FOK and market orders never rest', async () => {
    const ask = await request(url, 'POST', '/orders', { clientId: 'm', symbol: 'TIF', side: 'sell', type: 'limit', price: '50', quantity: '5' })
    await waitForOrder(url, ask.body.id, settled)

    const fok = await request(url, 'POST', '/orders', { clientId: 't', symbol: 'TIF', side: 'buy', type: 'limit', price: '50', quantity: '6', timeInForce: 'FOK' })
    const fokDone = await waitForOrder(url, fok.body.id, settled)
    assert.equal(fokDone.status, 'cancelled')
    assert.equal(fokDone.reason, 'fok_not_fillable')
    assert.equal(fokDone.filledQuantity, '0')

    const ioc = await request(url, 'POST', '/orders', { clientId: 't', symbol: 'TIF', side: 'buy', type: 'limit', price: '50', quantity: '3', timeInForce: 'IOC' })
    const iocDone = await waitForOrder(url, ioc.body.id, settled)
    assert.equal(iocDone.status, 'filled')

    const market = await request(url, 'POST', '/orders', { clientId: 't', symbol: 'TIF', side: 'buy', type: 'market', quantity: '4' })
    const marketDone = await waitForOrder(url, market.body.id, settled)
    assert.equal(marketDone.status, 'cancelled')
    assert.equal(marketDone.filledQuantity, '2')
    assert.equal(marketDone.cancelledQuantity, '2')
    assert.equal(marketDone.reason, 'market_remainder')

    const book = await request(url, 'GET', '/book/TIF')
    assert.deepEqual(book.body, { symbol: 'TIF', bids: [], asks: [] })
  })

  test('per-symbol tick and lot sizes are enforced', async () => {
    const offTick = await request(url, 'POST', '/orders', { clientId: 'c', symbol: 'XYZ', side: 'buy', type: 'limit', price: '1.02', quantity: '1' })
    assert.equal(offTick.status, 400)
    assert.equal(offTick.body.details[0].field, 'price')

    const offLot = await request(url, 'POST', '/orders', { clientId: 'c', symbol: 'XYZ', side: 'buy', type: 'limit', price: '1.05', quantity: '1.5' })
    assert.equal(offLot.status, 400)
    assert.equal(offLot.body.details[0].field, 'quantity')
  })

  test('the brief contract /ordenes matches through the same pipeline', async () => {
    const venta = await request(url, 'POST', '/ordenes', { tipo: 'venta', activo: 'ORD', cantidad: 3, precio: 20.5, cliente_id: 'v' })
    const compra = await request(url, 'POST', '/ordenes', { tipo: 'compra', activo: 'ORD', cantidad: 3, precio: 21, cliente_id: 'c' })
    assert.equal(venta.status, 202)
    assert.equal(compra.status, 202)
    assert.equal(compra.body.precio, '21')

    const trades = await waitFor('the /ordenes trade', async () => {
      const response = await request(url, 'GET', `/orders/${compra.body.id}/trades`)
      return response.body.trades?.length === 1 ? response.body.trades : undefined
    })
    assert.equal(trades[0].price, '20.5')
    assert.equal(trades[0].quantity, '3')
  })

  test('listing filters by symbol, matched and client, newest first', async () => {
    const ids: string[] = []
    for (const price of ['1', '2', '3']) {
      const response = await request(url, 'POST', '/orders', { clientId: 'lister', symbol: 'LIST', side: 'buy', type: 'limit', price, quantity: '1' })
      ids.push(response.body.id)
      // Listing order is acceptance time in milliseconds, then id.
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    const sell = await request(url, 'POST', '/orders', { clientId: 'seller', symbol: 'LIST', side: 'sell', type: 'limit', price: '3', quantity: '1' })
    await waitForOrder(url, sell.body.id, (o) => o.status === 'filled')

    const all = await waitFor('four LIST orders', async () => {
      const response = await request(url, 'GET', '/orders?symbol=LIST')
      return response.body.items?.length === 4 ? response.body.items : undefined
    })
    assert.deepEqual(all.map((o: any) => o.id), [sell.body.id, ...ids.reverse()])

    const matched = await request(url, 'GET', '/orders?symbol=LIST&matched=true')
    assert.deepEqual(new Set(matched.body.items.map((o: any) => o.id)), new Set([sell.body.id, ids[0]]))

    const page1 = await request(url, 'GET', '/orders?clientId=lister&limit=2')
    assert.equal(page1.body.items.length, 2)
    assert.ok(page1.body.nextCursor)
    const page2 = await request(url, 'GET', `/orders?clientId=lister&limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`)
    assert.equal(page2.body.items.length, 1)
    assert.equal(page2.body.nextCursor, undefined)
  })

  test('a repeated clientOrderId never creates a second order', async () => {
    const order = { clientId: 'retry', clientOrderId: 'ord-1', symbol: 'DUP', side: 'buy', type: 'limit', price: '5', quantity: '1' }
    const first = await request(url, 'POST', '/orders', order)
    assert.equal(first.status, 202)

    const retry = await request(url, 'POST', '/orders', order)
    assert.equal(retry.status, 409)
    assert.equal(retry.body.error, 'duplicate_client_order_id')
    assert.equal(retry.body.id, first.body.id)

    const other = await request(url, 'POST', '/orders', { ...order, clientId: 'someone-else' })
    assert.equal(other.status, 202)
    assert.notEqual(other.body.id, first.body.id)

    // The symbol is part of the derived id, so one id never reaches two partitions.
    const otherSymbol = await request(url, 'POST', '/orders', { ...order, symbol: 'DUP2' })
    assert.equal(otherSymbol.status, 202)
    assert.notEqual(otherSymbol.body.id, first.body.id)

    await waitForOrder(url, first.body.id, settled)
    await waitForOrder(url, other.body.id, settled)
    const book = await request(url, 'GET', '/book/DUP')
    assert.deepEqual(book.body.bids, [{ price: '5', quantity: '2', orders: 2 }])
  })

  test('concurrent twins of one clientOrderId get one 202', async () => {
    const twins = Array.from({ length: 20 }, (_, i) =>
      request(url, 'POST', '/orders', { clientId: 'racer', clientOrderId: 'race-1', symbol: 'RACE', side: 'buy', type: 'limit', price: `${10 + i}`, quantity: '1' }))
    const responses = await Promise.all(twins)

    const accepted = responses.filter((response) => response.status === 202)
    const duplicates = responses.filter((response) => response.status === 409)
    assert.equal(accepted.length, 1)
    assert.equal(duplicates.length, 19)
    assert.ok(duplicates.every((response) => response.body.id === accepted[0].body.id))

    const order = await waitForOrder(url, accepted[0].body.id, settled)
    assert.equal(order.price, accepted[0].body.price)
  })

  test('readiness reports Kafka and the store reachable', async () => {
    const ready = await request(url, 'GET', '/ready')
    assert.equal(ready.status, 200)
  })
})
