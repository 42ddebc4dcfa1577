/**
 * Measures persist() throughput into dynalite, in items written per second.
 *
 *   node bench/store-persist.ts [--batches 10] [--commands 500] [--concurrency 24] [--path DIR]
 *
 * Starts dynalite as a child process on 127.0.0.1, port 18000-18099, on disk
 * with --path and in memory otherwise. Then persists synthetic batches shaped
 * like `--commands` new orders on one symbol. Every command updates its
 * order, and every second one fills against a resting order, which makes
 * one trade (two items). Resting orders and levels change to match. Each
 * batch has new versions, so every conditional write succeeds. The replay
 * figure persists the same batches again, as after a restart.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createDynamoStore } from '../src/store/dynamo-store.ts'
import type { LevelRecord, OrderRecord, PartitionEffects, RestingOrderRecord, TradeRecord } from '../src/store/types.ts'
import { startDynaliteProcess } from '../test/helpers/dynalite.ts'
import { parseOptions } from './cli-args.ts'

const { values } = parseOptions({
  batches: { type: 'string', default: '10' },
  commands: { type: 'string', default: '500' },
  concurrency: { type: 'string', default: '24' },
  path: { type: 'string' },
})

const batches = Number(values.batches)
const commands = Number(values.commands)
const concurrency = Number(values.concurrency)

function buildEffects(batch: number): PartitionEffects {
  const symbol = 'BENCH-USD'
  const firstOffset = batch * commands
  const orders: OrderRecord[] = []
  const trades: TradeRecord[] = []
  const restingPuts: RestingOrderRecord[] = []
  const restingDeletes: PartitionEffects['restingDeletes'] = []
  const levels = new Map<number, LevelRecord>()

  for (let i = 0; i < commands; i++) {
    const offset = firstOffset + i
    const id = `bench-${offset}`
    const side = i % 2 === 0 ? 'buy' : 'sell'
    const priceTicks = 10_000 + (i % 40) - 20
    const fills = i % 2 === 1
    const timestamp = new Date(Date.UTC(2030, 0, 1) + offset).toISOString()

    orders.push({
      id,
      clientId: `client-${i % 50}`,
      symbol,
      side,
      type: 'limit',
      price: String(priceTicks / 100),
      quantity: '1',
      timeInForce: 'GTC',
      status: fills ? 'filled' : 'open',
      filledQuantity: fills ? '1' : '0',
      remainingQuantity: fills ? '0' : '1',
      cancelledQuantity: '0',
      notional: fills ? String(priceTicks / 100) : '0',
      averagePrice: fills ? String(priceTicks / 100) : null,
      matched: fills,
      timestamp,
      updatedAt: timestamp,
      version: offset,
      source: 'orders',
    })

    if (fills) {
      const makerId = `bench-${offset - 1}`
      trades.push({
        tradeId: `${symbol}:${offset}:0`,
        symbol,
        price: String(priceTicks / 100),
        quantity: '1',
        makerOrderId: makerId,
        takerOrderId: id,
        makerClientId: `client-${(i - 1) % 50}`,
        takerClientId: `client-${i % 50}`,
        takerSide: side,
        timestamp,
        version: offset,
      })
      restingDeletes.push({ symbol, side: 'buy', priceTicks: priceTicks - 1, prioritySeq: offset - 1, orderId: makerId, version: offset })
    } else {
      restingPuts.push({
        symbol,
        side,
        priceTicks,
        price: String(priceTicks / 100),
        orderId: id,
        clientId: `client-${i % 50}`,
        remainingQuantity: '1',
        prioritySeq: offset,
        version: offset,
      })
    }

    levels.set(priceTicks, {
      symbol,
      side,
      priceTicks,
      price: String(priceTicks / 100),
      quantity: String(1 + (i % 3)),
      orderCount: 1 + (i % 3),
      version: offset,
    })
  }

  const lastOffset = firstOffset + commands - 1
  return { partition: 0, lastOffset, orders, trades, restingPuts, restingDeletes, levels: [...levels.values()] }
}

function itemCount(effects: PartitionEffects): number {
  const { orders, trades, restingPuts, restingDeletes, levels } = effects
  return orders.length + 2 * trades.length + restingPuts.length + restingDeletes.length + levels.length
}

const ownPath = values.path === undefined ? undefined : mkdtempSync(join(values.path, 'bench-'))
const dynalite = await startDynaliteProcess({ ports: [18000, 18099], path: ownPath, createTableMs: 0 })
const store = createDynamoStore({
  region: 'us-east-1',
  endpoint: dynalite.endpoint,
  requestTimeoutMs: 5000,
  logger: pino({ level: 'warn' }),
  persistConcurrency: concurrency,
  tables: { orders: 'bench_orders', orderBook: 'bench_book', trades: 'bench_trades', levels: 'bench_levels' },
})

try {
  await store.ensureTables()
  // One batch to warm up connections and dynalite's LevelDB.
  await store.persist(buildEffects(batches))

  const all = Array.from({ length: batches }, (_, batch) => buildEffects(batch))
  const items = all.reduce((sum, effects) => sum + itemCount(effects), 0)

  const started = performance.now()
  for (const effects of all) await store.persist(effects)
  const elapsedMs = performance.now() - started

  const replayStarted = performance.now()
  for (const effects of all) await store.persist(effects)
  const replayMs = performance.now() - replayStarted

  console.log(
    JSON.stringify({
      storage: ownPath === undefined ? 'memory' : 'disk',
      batches,
      commandsPerBatch: commands,
      itemsPerBatch: items / batches,
      concurrency,
      itemsPerSecond: Math.round((items / elapsedMs) * 1000),
      msPerBatch: Math.round(elapsedMs / batches),
      replayItemsPerSecond: Math.round((items / replayMs) * 1000),
    }),
  )
} finally {
  await store.close()
  await dynalite.stop()
  if (ownPath !== undefined) rmSync(ownPath, { recursive: true, force: true })
}
