import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { pino } from 'pino'
import { createDynamoStore } from '../../../src/store/dynamo-store.ts'
import type {
  LevelRecord,
  PartitionEffects,
  RestingOrderKey,
  RestingOrderRecord,
  TradeRecord,
} from '../../../src/store/types.ts'
import { startDynaliteProcess } from '../../helpers/dynalite.ts'
import { makeOrder, makeTrade, startStore, STORE_TEST_PORTS, storeOptions, uniqueTables, type StoreFixture } from './fixtures.ts'

function effects(partial: Partial<PartitionEffects>): PartitionEffects {
  return {
    partition: 0,
    lastOffset: 0,
    orders: [],
    trades: [],
    restingPuts: [],
    restingDeletes: [],
    levels: [],
    ...partial,
  }
}

function resting(symbol: string, side: 'buy' | 'sell', priceTicks: number, prioritySeq: number, version = prioritySeq): RestingOrderRecord {
  return {
    symbol,
    side,
    priceTicks,
    price: String(priceTicks),
    orderId: `${side}-${priceTicks}-${prioritySeq}`,
    clientId: 'client-1',
    remainingQuantity: '1',
    prioritySeq,
    version,
  }
}

function keyOf(record: RestingOrderRecord, version: number): RestingOrderKey {
  const { symbol, side, priceTicks, prioritySeq, orderId } = record
  return { symbol, side, priceTicks, prioritySeq, orderId, version }
}

function level(symbol: string, side: 'buy' | 'sell', priceTicks: number, quantity: string, orderCount: number, version: number): LevelRecord {
  return { symbol, side, priceTicks, price: String(priceTicks), quantity, orderCount, version }
}

describe('persist', () => {
  let fixture: StoreFixture

  before(async () => {
    fixture = await startStore()
  })

  after(async () => {
    await fixture.close()
  })

  test('persisting a batch twice changes nothing', async () => {
    const symbol = 'IDEM-USD'
    const maker = makeOrder({ symbol, status: 'partially_filled', matched: true, version: 3 })
    const taker = makeOrder({ symbol, side: 'sell', status: 'filled', matched: true, version: 3 })
    const trade = makeTrade({ symbol, tradeId: `${symbol}:3:0`, makerOrderId: maker.id, takerOrderId: taker.id, version: 3 })
    const batch = effects({
      lastOffset: 3,
      orders: [maker, taker],
      trades: [trade],
      restingPuts: [{ ...resting(symbol, 'buy', 100, 1, 3), orderId: maker.id }],
      levels: [level(symbol, 'buy', 100, '1', 1, 3)],
    })

    await fixture.store.persist(batch)
    await fixture.store.persist(batch)

    assert.deepEqual(await fixture.store.getOrder(maker.id), maker)
    assert.deepEqual(await fixture.store.getOrder(taker.id), taker)
    assert.deepEqual(await fixture.store.tradesByOrder(maker.id), [trade])
    assert.deepEqual(await fixture.store.tradesByOrder(taker.id), [trade])
    assert.deepEqual(await fixture.store.restingOrders(symbol, 'buy'), batch.restingPuts)
    assert.deepEqual((await fixture.store.bookLevels(symbol, 10)).bids, batch.levels)
  })

  test('an older batch after a newer one regresses nothing', async () => {
    const symbol = 'REGR-USD'
    const order = makeOrder({ symbol })
    const restingOld = { ...resting(symbol, 'sell', 200, 5, 10), orderId: order.id, remainingQuantity: '2' }
    const restingNew = { ...restingOld, remainingQuantity: '1', version: 20 }
    const levelKeptByStaleWrite = level(symbol, 'sell', 300, '1', 1, 20)

    // Resting-order deletes are unconditional: an order never returns to a
    // key it left, so no older batch deletes a key that a newer one holds.
    const newer = effects({
      lastOffset: 20,
      orders: [{ ...order, status: 'partially_filled', remainingQuantity: '1', filledQuantity: '1', version: 20 }],
      restingPuts: [restingNew],
      levels: [level(symbol, 'sell', 200, '1', 1, 20), levelKeptByStaleWrite],
    })
    const older = effects({
      lastOffset: 10,
      orders: [{ ...order, status: 'open', version: 10 }],
      restingPuts: [restingOld],
      levels: [level(symbol, 'sell', 200, '2', 1, 10), level(symbol, 'sell', 300, '0', 0, 10)],
    })

    await fixture.store.persist(newer)
    await fixture.store.persist(older)
    await fixture.store.putAcceptedOrder({ ...order, version: 0 })

    assert.deepEqual(await fixture.store.getOrder(order.id), newer.orders[0])
    assert.deepEqual(await fixture.store.restingOrders(symbol, 'sell'), [restingNew])
    assert.deepEqual((await fixture.store.bookLevels(symbol, 10)).asks, newer.levels)
  })

  test('a final order outlives an older batch', async () => {
    const symbol = 'FINAL-USD'
    const order = makeOrder({ symbol })
    const filled = { ...order, status: 'filled' as const, remainingQuantity: '0', filledQuantity: order.quantity, matched: true, version: 30 }
    const later = effects({ lastOffset: 30, orders: [filled] })
    const earlier = effects({ lastOffset: 12, orders: [{ ...order, status: 'open', version: 12 }] })

    await fixture.store.persist(later)
    await fixture.store.persist(earlier)

    assert.deepEqual(await fixture.store.getOrder(order.id), filled)
  })

  test('a batch at the same version rewrites the items', async () => {
    const symbol = 'SAME-USD'
    const order = makeOrder({ symbol, version: 4, status: 'open' })
    await fixture.store.persist(effects({ lastOffset: 4, orders: [order] }))

    const corrected = { ...order, updatedAt: '2030-01-02T00:00:00.000Z' }
    await fixture.store.persist(effects({ lastOffset: 4, orders: [corrected] }))

    assert.deepEqual(await fixture.store.getOrder(order.id), corrected)
  })

  test('restingOrders returns price-time order on both sides', async () => {
    const symbol = 'PT-USD'
    const prices = [9, 10, 11, 100, 99, 1_000_000, 0, Number.MAX_SAFE_INTEGER]
    const seqs = [42, 7, 1_000_000_000, 8]
    const records: RestingOrderRecord[] = []
    for (const side of ['buy', 'sell'] as const) {
      for (const price of prices) {
        for (const seq of seqs) records.push(resting(symbol, side, price, seq))
      }
    }
    // Written in shuffled order, so the order read back comes from the keys.
    const shuffled = records.map((record, i) => ({ record, rank: (i * 7919) % records.length }))
    shuffled.sort((a, b) => a.rank - b.rank)
    await fixture.store.persist(effects({ lastOffset: 50, restingPuts: shuffled.map((entry) => entry.record) }))

    const bids = records
      .filter((record) => record.side === 'buy')
      .sort((a, b) => b.priceTicks - a.priceTicks || a.prioritySeq - b.prioritySeq)
    const asks = records
      .filter((record) => record.side === 'sell')
      .sort((a, b) => a.priceTicks - b.priceTicks || a.prioritySeq - b.prioritySeq)

    assert.deepEqual(await fixture.store.restingOrders(symbol, 'buy'), bids)
    assert.deepEqual(await fixture.store.restingOrders(symbol, 'sell'), asks)
    assert.deepEqual(await fixture.store.restingOrders('OTHER-USD', 'buy'), [])
  })

  test('restingOrders breaks equal seqs by order id', async () => {
    const symbol = 'TIE-USD'
    const second = { ...resting(symbol, 'buy', 5, 3), orderId: 'b' }
    const first = { ...resting(symbol, 'buy', 5, 3), orderId: 'a' }
    await fixture.store.persist(effects({ lastOffset: 3, restingPuts: [second, first] }))

    assert.deepEqual(await fixture.store.restingOrders(symbol, 'buy'), [first, second])
  })

  test('resting deletes remove the order and tolerate absence', async () => {
    const symbol = 'DEL-USD'
    const kept = resting(symbol, 'buy', 10, 1, 1)
    const removed = resting(symbol, 'buy', 11, 2, 2)
    await fixture.store.persist(effects({ lastOffset: 2, restingPuts: [kept, removed] }))

    const neverStored = keyOf(resting(symbol, 'buy', 12, 3), 5)
    await fixture.store.persist(effects({ lastOffset: 5, restingDeletes: [keyOf(removed, 5), neverStored] }))
    await fixture.store.persist(effects({ lastOffset: 5, restingDeletes: [keyOf(removed, 5)] }))

    assert.deepEqual(await fixture.store.restingOrders(symbol, 'buy'), [kept])
  })

  test('bookLevels returns the best levels up to depth', async () => {
    const symbol = 'LVL-USD'
    const bidLevels = [101, 99, 100, 98, 97].map((price, i) => level(symbol, 'buy', price, `${i + 1}.5`, i + 1, 30))
    const askLevels = [103, 105, 102, 104, 1000].map((price, i) => level(symbol, 'sell', price, `${i + 1}`, 1, 30))
    await fixture.store.persist(effects({ lastOffset: 30, levels: [...bidLevels, ...askLevels] }))

    const bestBids = [...bidLevels].sort((a, b) => b.priceTicks - a.priceTicks)
    const bestAsks = [...askLevels].sort((a, b) => a.priceTicks - b.priceTicks)

    assert.deepEqual(await fixture.store.bookLevels(symbol, 3), {
      symbol,
      bids: bestBids.slice(0, 3),
      asks: bestAsks.slice(0, 3),
    })
    assert.deepEqual(await fixture.store.bookLevels(symbol, 10), { symbol, bids: bestBids, asks: bestAsks })
    await assert.rejects(fixture.store.bookLevels(symbol, 0), RangeError)
  })

  test('a level with no orders is deleted', async () => {
    const symbol = 'LVLDEL-USD'
    await fixture.store.persist(
      effects({ lastOffset: 40, levels: [level(symbol, 'buy', 50, '3', 2, 40), level(symbol, 'buy', 49, '1', 1, 40)] }),
    )
    await fixture.store.persist(
      effects({ lastOffset: 41, levels: [level(symbol, 'buy', 50, '0', 0, 41), level(symbol, 'buy', 48, '0', 0, 41)] }),
    )

    assert.deepEqual((await fixture.store.bookLevels(symbol, 5)).bids, [level(symbol, 'buy', 49, '1', 1, 40)])
  })

  test('trades are stored once per order, oldest first', async () => {
    const symbol = 'TRD-USD'
    const trades: TradeRecord[] = []
    // 30 trades make 60 items: three BatchWriteItem requests.
    for (let fill = 0; fill < 12; fill++) {
      trades.push(makeTrade({ symbol, tradeId: `${symbol}:70:${fill}`, makerOrderId: `maker-${fill % 3}`, takerOrderId: 'taker-70', version: 70 }))
    }
    for (let fill = 0; fill < 18; fill++) {
      trades.push(makeTrade({ symbol, tradeId: `${symbol}:9:${fill}`, makerOrderId: `maker-${fill % 3}`, takerOrderId: 'taker-9', version: 9 }))
    }
    await fixture.store.persist(effects({ lastOffset: 70, trades: [...trades].reverse() }))

    const taker70 = await fixture.store.tradesByOrder('taker-70')
    assert.deepEqual(
      taker70.map((trade) => trade.tradeId),
      trades.slice(0, 12).map((trade) => trade.tradeId),
    )
    assert.deepEqual(taker70[0], trades[0])

    const maker0 = await fixture.store.tradesByOrder('maker-0')
    const expected = [...trades.slice(12), ...trades.slice(0, 12)].filter((trade) => trade.makerOrderId === 'maker-0')
    assert.deepEqual(maker0, expected)
    assert.deepEqual(await fixture.store.tradesByOrder('no-such-order'), [])
  })
})

describe('persist when DynamoDB is down', () => {
  test('rejects after its retries', { timeout: 30_000 }, async (t) => {
    const dynalite = await startDynaliteProcess({ ports: STORE_TEST_PORTS })
    if (dynalite.external) {
      t.skip('AWS_ENDPOINT_URL names a server this test cannot stop')
      return
    }
    const lines: string[] = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) })
    const store = createDynamoStore({ ...storeOptions(dynalite.endpoint, uniqueTables()), logger })
    await store.ensureTables()
    await dynalite.stop()

    const order = makeOrder({ version: 1 })
    await assert.rejects(store.persist(effects({ partition: 2, lastOffset: 1, orders: [order] })), { code: 'ECONNREFUSED' })
    await assert.rejects(store.persist(effects({ partition: 2, lastOffset: 1, trades: [makeTrade()] })), { code: 'ECONNREFUSED' })

    // maxAttempts is 3 in storeOptions: two retries logged for each persist().
    const retries = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    assert.equal(retries.length, 4)
    for (const retry of retries) {
      assert.equal(retry.msg, 'DynamoDB request failed, retrying')
      assert.equal(retry.partition, 2)
      assert.equal(retry.offset, 1)
    }
    assert.equal(retries[0].orderId, order.id)

    await store.close()
  })
})

describe('the store counts what it sent', () => {
  test('logs the requests by operation and the write items when it closes', async () => {
    const dynalite = await startDynaliteProcess({ ports: STORE_TEST_PORTS, createTableMs: 0 })
    const lines: string[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) })
    const store = createDynamoStore({ ...storeOptions(dynalite.endpoint, uniqueTables()), logger })

    try {
      await store.ensureTables()
      const symbol = 'COUNT-USD'
      const maker = makeOrder({ symbol, status: 'partially_filled', matched: true, version: 3 })
      const taker = makeOrder({ symbol, side: 'sell', status: 'filled', matched: true, version: 3 })
      const trade = makeTrade({ symbol, tradeId: `${symbol}:3:0`, makerOrderId: maker.id, takerOrderId: taker.id, version: 3 })
      await store.persist(
        effects({
          lastOffset: 3,
          orders: [maker, taker],
          trades: [trade],
          restingPuts: [{ ...resting(symbol, 'buy', 100, 1, 3), orderId: maker.id }],
          levels: [level(symbol, 'buy', 100, '1', 1, 3)],
        }),
      )
      await store.getOrder(maker.id)
    } finally {
      await store.close()
      await dynalite.stop()
    }

    const closed = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'store closed')
    const { requests, writeRequests, writeItems } = closed.sent as {
      requests: Record<string, number>
      writeRequests: number
      writeItems: number
    }
    // Operations carry DynamoDB's names, from the lean client and the SDK alike.
    assert.equal(requests.GetItem, 1)
    assert.ok(requests.CreateTable >= 6)
    for (const operation of Object.keys(requests)) assert.doesNotMatch(operation, /Command$/)

    const writeOperations = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']
    const counted = writeOperations.reduce((sum, operation) => sum + (requests[operation] ?? 0), 0)
    assert.equal(writeRequests, counted)
    // 2 orders, 1 resting order, 1 level and the trade's 2 copies, however batched.
    assert.equal(writeItems, 6)
  })
})
