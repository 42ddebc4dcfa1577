/**
 * Reads an engine's tables back with Scan (tests may scan; request paths may
 * not), compares two runs item by item and checks the book invariants.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb'

type Item = Record<string, any>

export interface TableSet {
  orders: string
  orderBook: string
  trades: string
  levels: string
  snapshots: string
  deadLetters: string
}

/** Table names with a prefix, and the DYNAMO_TABLE_* variables that select them. */
export function tableSet(prefix: string): { tables: TableSet, env: Record<string, string> } {
  const tables: TableSet = {
    orders: `${prefix}_orders`,
    orderBook: `${prefix}_order_book`,
    trades: `${prefix}_trades`,
    levels: `${prefix}_levels`,
    snapshots: `${prefix}_snapshots`,
    deadLetters: `${prefix}_dead_letters`,
  }
  const env = {
    DYNAMO_TABLE_ORDENES: tables.orders,
    DYNAMO_TABLE_ORDER_BOOK: tables.orderBook,
    DYNAMO_TABLE_TRADES: tables.trades,
    DYNAMO_TABLE_BOOK_LEVELS: tables.levels,
    DYNAMO_TABLE_SNAPSHOTS: tables.snapshots,
    DYNAMO_TABLE_DEAD_LETTERS: tables.deadLetters,
  }
  return { tables, env }
}

export function documentClient(endpoint: string): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
  return DynamoDBDocumentClient.from(client)
}

export async function scanAll(doc: DynamoDBDocumentClient, tableName: string): Promise<Item[]> {
  const items: Item[] = []
  let startKey: Record<string, any> | undefined
  do {
    const output = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }))
    items.push(...(output.Items ?? []))
    startKey = output.LastEvaluatedKey
  } while (startKey !== undefined)
  return items
}

/** Every item of the four result tables, keyed by its primary key. */
export interface EngineState {
  orders: Map<string, Item>
  trades: Map<string, Item>
  resting: Map<string, Item>
  levels: Map<string, Item>
}

export async function readState(doc: DynamoDBDocumentClient, tables: TableSet): Promise<EngineState> {
  const [orders, trades, resting, levels] = await Promise.all([
    scanAll(doc, tables.orders),
    scanAll(doc, tables.trades),
    scanAll(doc, tables.orderBook),
    scanAll(doc, tables.levels),
  ])
  return {
    orders: new Map(orders.map((item) => [item.id, item])),
    trades: new Map(trades.map((item) => [`${item.orderId}/${item.tradeId}`, item])),
    resting: new Map(resting.map((item) => [`${item.symbol}/${item.bookKey}`, item])),
    levels: new Map(levels.map((item) => [`${item.symbol}/${item.levelKey}`, item])),
  }
}

/** Lists every key whose item differs between the two runs, at most `limit` of them. */
export function diffStates(expected: EngineState, actual: EngineState, limit = 20): string[] {
  const differences: string[] = []
  for (const table of ['orders', 'trades', 'resting', 'levels'] as const) {
    const keys = new Set([...expected[table].keys(), ...actual[table].keys()])
    for (const key of keys) {
      const want = expected[table].get(key)
      const got = actual[table].get(key)
      if (JSON.stringify(sortKeys(want)) === JSON.stringify(sortKeys(got))) continue
      differences.push(`${table} ${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`)
      if (differences.length >= limit) return differences
    }
  }
  return differences
}

function sortKeys(item: Item | undefined): unknown {
  if (item === undefined) return undefined
  return Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)))
}

/** Whole lots: the fault tests use lot size 1, so quantities are integers. */
function lots(quantity: string): bigint {
  if (!/^\d+$/.test(quantity)) throw new Error(`quantity ${quantity} is not a whole number of lots`)
  return BigInt(quantity)
}

/**
 * Checks the invariants of a final state and returns the violations:
 * filled + remaining + cancelled = quantity per order, the trades of each
 * order sum to its filled quantity, each trade id is stored exactly once
 * as maker and once as taker, resting orders and levels agree, and no
 * symbol's book is crossed.
 */
export function invariantViolations(state: EngineState, limit = 20): string[] {
  const violations: string[] = []
  const report = (message: string) => {
    if (violations.length < limit) violations.push(message)
  }

  const tradedLots = new Map<string, bigint>()
  const roles = new Map<string, string[]>()
  for (const trade of state.trades.values()) {
    tradedLots.set(trade.orderId, (tradedLots.get(trade.orderId) ?? 0n) + lots(trade.quantity))
    roles.set(trade.tradeId, [...(roles.get(trade.tradeId) ?? []), trade.role])
  }
  for (const [tradeId, seen] of roles) {
    if (seen.sort().join() !== 'maker,taker') report(`trade ${tradeId} is stored as ${seen.join(', ')}`)
  }

  for (const order of state.orders.values()) {
    const sum = lots(order.filledQuantity) + lots(order.remainingQuantity) + lots(order.cancelledQuantity)
    if (sum !== lots(order.quantity)) {
      report(`order ${order.id}: filled + remaining + cancelled = ${sum}, quantity ${order.quantity}`)
    }
    const traded = tradedLots.get(order.id) ?? 0n
    if (traded !== lots(order.filledQuantity)) {
      report(`order ${order.id}: trades sum to ${traded}, filled ${order.filledQuantity}`)
    }
    const resting = order.status === 'open' || order.status === 'partially_filled'
    if (!resting && order.remainingQuantity !== '0' && order.status !== 'accepted') {
      report(`order ${order.id} is ${order.status} with remaining ${order.remainingQuantity}`)
    }
  }

  const levelSums = new Map<string, { lots: bigint, count: number }>()
  for (const entry of state.resting.values()) {
    const order = state.orders.get(entry.orderId)
    if (order === undefined || (order.status !== 'open' && order.status !== 'partially_filled')) {
      report(`resting entry ${entry.bookKey} of ${entry.symbol} belongs to an order that is not resting`)
      continue
    }
    const key = `${entry.symbol}/${entry.side}/${entry.priceTicks}`
    const sum = levelSums.get(key) ?? { lots: 0n, count: 0 }
    sum.lots += lots(entry.remainingQuantity)
    sum.count++
    levelSums.set(key, sum)
  }

  const bestBid = new Map<string, number>()
  const bestAsk = new Map<string, number>()
  for (const level of state.levels.values()) {
    const sum = levelSums.get(`${level.symbol}/${level.side}/${level.priceTicks}`)
    if (sum === undefined || sum.lots !== lots(level.quantity) || sum.count !== level.orderCount) {
      report(`level ${level.symbol} ${level.side} ${level.price} is ${level.quantity}/${level.orderCount}, resting orders give ${sum?.lots}/${sum?.count}`)
    }
    const best = level.side === 'buy' ? bestBid : bestAsk
    const better = level.side === 'buy' ? Math.max : Math.min
    best.set(level.symbol, better(best.get(level.symbol) ?? level.priceTicks, level.priceTicks))
  }
  if (levelSums.size !== state.levels.size) {
    report(`${levelSums.size} price levels hold resting orders, ${state.levels.size} level items are stored`)
  }
  for (const [symbol, bid] of bestBid) {
    const ask = bestAsk.get(symbol)
    if (ask !== undefined && bid >= ask) report(`book ${symbol} is crossed: bid ${bid} ticks >= ask ${ask} ticks`)
  }
  return violations
}

/** The partition lease item the engine keeps in its snapshots table. */
export async function readLease(doc: DynamoDBDocumentClient, snapshotsTable: string, partition: number): Promise<Item | undefined> {
  const output = await doc.send(new GetCommand({
    TableName: snapshotsTable,
    Key: { partition, chunkKey: 'lease' },
    ConsistentRead: true,
  }))
  return output.Item
}
