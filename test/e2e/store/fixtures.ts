/**
 * Shared setup of the store tests: a dynalite child process, a store on it
 * with table names unique to the test file, and record builders.
 */

import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { startDynaliteProcess, type DynaliteProcess } from '../../helpers/dynalite.ts'
import { createDynamoStore, type DynamoStoreOptions, type TableNames } from '../../../src/store/dynamo-store.ts'
import type { OrderRecord, Store, TradeRecord } from '../../../src/store/types.ts'

export const STORE_TEST_PORTS: [number, number] = [18000, 18099]

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

export interface StoreFixture {
  store: Store
  dynalite: DynaliteProcess
  tables: TableNames
  endpoint: string
  close(): Promise<void>
}

export function uniqueTables(): TableNames {
  const prefix = `t${randomUUID().slice(0, 8)}`
  return {
    orders: `${prefix}_orders`,
    orderBook: `${prefix}_order_book`,
    trades: `${prefix}_trades_by_order`,
    levels: `${prefix}_book_levels`,
    snapshots: `${prefix}_engine_snapshots`,
    deadLetters: `${prefix}_dead_letters`,
  }
}

export function storeOptions(endpoint: string, tables: TableNames): DynamoStoreOptions {
  return {
    region: 'us-east-1',
    endpoint,
    tables,
    requestTimeoutMs: 2000,
    logger: silentLogger,
    persistRetry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
  }
}

/** Starts dynalite and a store whose tables exist. */
export async function startStore(): Promise<StoreFixture> {
  const dynalite = await startDynaliteProcess({ ports: STORE_TEST_PORTS, createTableMs: 0 })
  const tables = uniqueTables()
  const store = createDynamoStore(storeOptions(dynalite.endpoint, tables))
  await store.ensureTables()

  return {
    store,
    dynalite,
    tables,
    endpoint: dynalite.endpoint,
    close: async () => {
      await store.close()
      await dynalite.stop()
    },
  }
}

export function makeOrder(overrides: Partial<OrderRecord> = {}): OrderRecord {
  const id = overrides.id ?? randomUUID()
  return {
    id,
    clientId: 'client-1',
    symbol: 'BTC-USD',
    side: 'buy',
    type: 'limit',
    price: '100.50',
    quantity: '2',
    timeInForce: 'GTC',
    status: 'accepted',
    filledQuantity: '0',
    remainingQuantity: '2',
    cancelledQuantity: '0',
    notional: '0',
    averagePrice: null,
    matched: false,
    timestamp: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    version: 0,
    source: 'orders',
    ...overrides,
  }
}

export function makeTrade(overrides: Partial<TradeRecord> = {}): TradeRecord {
  return {
    tradeId: 'BTC-USD:10:0',
    symbol: 'BTC-USD',
    price: '100.50',
    quantity: '1',
    makerOrderId: 'maker-1',
    takerOrderId: 'taker-1',
    makerClientId: 'client-m',
    takerClientId: 'client-t',
    takerSide: 'buy',
    timestamp: '2030-01-01T00:00:01.000Z',
    version: 10,
    ...overrides,
  }
}
