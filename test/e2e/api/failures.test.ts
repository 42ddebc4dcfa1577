import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { createFileLog } from '../../../src/log/file-log.ts'
import {
  PARTITIONS,
  readCommands,
  silentLogger,
  startApi,
  type ApiFixture,
  type CommandRecord,
} from './fixtures.ts'

const ORDER = { symbol: 'AAPL', side: 'buy', type: 'limit', price: '10', quantity: '1' }

describe('store unreachable', () => {
  let api: ApiFixture
  let acceptedBefore: string

  before(async () => {
    api = await startApi()
    const payload = { ...ORDER, clientId: 'c-before' }
    const response = await api.app.inject({ method: 'POST', url: '/orders', payload })
    assert.equal(response.statusCode, 202, response.body)
    acceptedBefore = response.json().id

    await api.dynalite.stop()
  })
  after(async () => {
    await api?.close()
  })

  test('ready is 503 naming the store', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/ready' })
    const body = response.json()

    assert.equal(response.statusCode, 503)
    assert.equal(body.status, 'not_ready')
    assert.equal(body.checks.log.status, 'ok')
    assert.notEqual(body.checks.store.status, 'ok')
  })

  test('order still accepted from the log', async () => {
    const payload = { ...ORDER, clientId: 'c-nostore' }
    const response = await api.app.inject({ method: 'POST', url: '/orders', payload })
    const order = response.json()

    assert.equal(response.statusCode, 202, response.body)
    assert.equal(order.status, 'accepted')

    const isOrder = ({ command }: CommandRecord) => command.kind === 'new' && command.id === order.id
    const read = await readCommands(api.log, (all) => all.some(isOrder))
    assert.ok(read.some(isOrder))
  })

  test('reads are 503 with Retry-After', async () => {
    const urls = [`/orders/${acceptedBefore}`, '/orders', `/orders/${acceptedBefore}/trades`, '/book/AAPL']
    for (const url of urls) {
      const response = await api.app.inject({ method: 'GET', url })

      assert.equal(response.statusCode, 503, `${url}: ${response.body}`)
      assert.equal(response.json().error, 'store_unavailable')
      assert.equal(response.headers['retry-after'], '1')
    }
  })

  test('cancel is 503 with Retry-After', async () => {
    const response = await api.app.inject({ method: 'DELETE', url: `/orders/${acceptedBefore}` })

    assert.equal(response.statusCode, 503, response.body)
    assert.equal(response.json().error, 'store_unavailable')
    assert.equal(response.headers['retry-after'], '1')
  })
})

describe('command log unavailable', () => {
  let api: ApiFixture
  let endOffsets: bigint[]

  before(async () => {
    api = await startApi()
    endOffsets = await api.log.endOffsets()
    await api.log.close()
  })
  after(async () => {
    await api?.close()
  })

  test('ready is 503 naming the log', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/ready' })
    const body = response.json()

    assert.equal(response.statusCode, 503)
    assert.equal(body.status, 'not_ready')
    assert.equal(body.checks.log.status, 'failed')
    assert.equal(body.checks.store.status, 'ok')
  })

  for (const [url, payload] of [
    ['/orders', { ...ORDER, clientId: 'c-nolog' }],
    ['/ordenes', { tipo: 'compra', activo: 'AAPL', cantidad: '1', precio: '10', cliente_id: 'c-nolog' }],
  ] as const) {
    test(`POST ${url} is 503 with Retry-After`, async () => {
      const response = await api.app.inject({ method: 'POST', url, payload })

      assert.equal(response.statusCode, 503, response.body)
      assert.equal(response.json().error, 'log_unavailable')
      assert.equal(response.headers['retry-after'], '1')
    })
  }

  test('rejected order not stored', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/orders?clientId=c-nolog' })

    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json().items, [])
  })

  test('rejected order not in the log', async () => {
    const reopened = createFileLog({ dir: api.log.dir, partitions: PARTITIONS, logger: silentLogger })
    try {
      assert.deepEqual(await reopened.endOffsets(), endOffsets)
    } finally {
      await reopened.close()
    }
  })

  test('cancel is 503 with Retry-After', async () => {
    const placed = await api.store.putAcceptedOrder({
      id: 'order-for-cancel',
      clientId: 'c-nolog-cancel',
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      price: '10',
      quantity: '1',
      timeInForce: 'GTC',
      status: 'accepted',
      filledQuantity: '0',
      remainingQuantity: '1',
      cancelledQuantity: '0',
      notional: '0',
      averagePrice: null,
      matched: false,
      timestamp: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      version: -1,
      source: 'orders',
    })
    const response = await api.app.inject({ method: 'DELETE', url: '/orders/order-for-cancel' })

    assert.equal(placed, undefined)
    assert.equal(response.statusCode, 503, response.body)
    assert.equal(response.json().error, 'log_unavailable')
    assert.equal(response.headers['retry-after'], '1')
  })
})
