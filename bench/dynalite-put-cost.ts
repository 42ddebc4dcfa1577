/**
 * Measures dynalite's CPU per conditional PutItem, by the form of the
 * version guard and by the indexes of the table. It starts dynalite in a
 * process of its own on 127.0.0.1 (ports 31070-31079), sends PutItems of
 * 21-attribute order items through the engine's lean client, 50 at a time,
 * and reads dynalite's CPU time from /proc. Each round measures every case
 * once, and the first round includes dynalite's warm-up.
 *
 *   node bench/dynalite-put-cost.ts [--puts 6000] [--rounds 3]
 *
 * The last line printed is a JSON summary.
 */

import { CreateTableCommand, DynamoDBClient, type GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb'
import { versionGuard } from '../src/store/client.ts'
import { DynamoHttpClient } from '../src/store/dynamo-http.ts'
import { startDynaliteProcess } from '../test/helpers/dynalite.ts'
import { parseOptions, positiveInteger } from './cli-args.ts'
import { findProcess, processCpuSec } from './service-cpu.ts'

const DYNALITE_PORTS: [number, number] = [31070, 31079]
const IN_FLIGHT = 50
const ORDER_IDS = 3000

const { values } = parseOptions({
  puts: { type: 'string', default: '6000' },
  rounds: { type: 'string', default: '3' },
})
const puts = positiveInteger('puts', values.puts)
const rounds = positiveInteger('rounds', values.rounds)

type Guard = (version: number) => object

const OLD_GUARD: Guard = (version) => ({
  ConditionExpression: 'attribute_not_exists(#id) OR #version <= :version',
  ExpressionAttributeNames: { '#id': 'id', '#version': 'version' },
  ExpressionAttributeValues: { ':version': { N: String(version) } },
})

function index(partitionKey: string, projection: GlobalSecondaryIndex['Projection']): GlobalSecondaryIndex {
  return {
    IndexName: `by_${partitionKey}`,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: 'sortKey', KeyType: 'RANGE' },
    ],
    Projection: projection,
  }
}

const ORDER_INDEX_KEYS = ['clientId', 'symbol', 'status', 'listShard']
const FILTER_ATTRIBUTES = { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: ['symbol', 'status', 'matched'] }

/** Each case: a table with these indexes, written with this guard. */
const CASES: { name: string, indexes: GlobalSecondaryIndex[], guard: Guard | null }[] = [
  { name: 'no index, old guard', indexes: [], guard: OLD_GUARD },
  { name: 'no index, NOT guard', indexes: [], guard: versionGuard },
  { name: 'no index, no guard', indexes: [], guard: null },
  {
    name: '4 indexes, all attributes',
    indexes: ORDER_INDEX_KEYS.map((key) => index(key, { ProjectionType: 'ALL' })),
    guard: versionGuard,
  },
  {
    name: '4 indexes, filter attributes',
    indexes: ORDER_INDEX_KEYS.map((key) => index(key, FILTER_ATTRIBUTES)),
    guard: versionGuard,
  },
  {
    name: '4 indexes, keys only',
    indexes: ORDER_INDEX_KEYS.map((key) => index(key, { ProjectionType: 'KEYS_ONLY' })),
    guard: versionGuard,
  },
  {
    name: '3 indexes, all attributes',
    indexes: ['clientId', 'symbol', 'listShard'].map((key) => index(key, { ProjectionType: 'ALL' })),
    guard: versionGuard,
  },
]

const ATTRIBUTE_TYPES: Record<string, 'S' | 'N'> = {
  id: 'S',
  sortKey: 'S',
  clientId: 'S',
  symbol: 'S',
  status: 'S',
  listShard: 'N',
}

function orderItem(n: number, version: number): Record<string, unknown> {
  const text = (value: string) => ({ S: value })
  const id = `BTC-USD-client-${n}-0123456789abcdef`
  const time = '2026-12-04T21:00:00.000Z'
  return {
    id: text(id),
    clientId: text(`client-${n % 7}`),
    symbol: text('BTC-USD'),
    side: text('buy'),
    type: text('limit'),
    price: text('100.25'),
    quantity: text('12'),
    timeInForce: text('GTC'),
    status: text(version % 3 === 0 ? 'filled' : 'open'),
    filledQuantity: text('0'),
    remainingQuantity: text('12'),
    cancelledQuantity: text('0'),
    notional: text('0'),
    averagePrice: { NULL: true },
    matched: { BOOL: false },
    timestamp: text(time),
    updatedAt: text(time),
    version: { N: String(version) },
    source: text('api'),
    sortKey: text(`${time}#${id}`),
    listShard: { N: String(n % 8) },
  }
}

const dynalite = await startDynaliteProcess({ ports: DYNALITE_PORTS, createTableMs: 0 })
const dynalitePid = findProcess(['scripts/dynalite.ts', '--port', new URL(dynalite.endpoint).port])
if (dynalitePid === undefined) throw new Error(`dynalite process for ${dynalite.endpoint} not found in /proc`)

const client = new DynamoDBClient({
  endpoint: dynalite.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
})
const http = new DynamoHttpClient({
  client,
  endpoint: dynalite.endpoint,
  requestTimeoutMs: 10_000,
  maxSockets: IN_FLIGHT,
})

try {
  for (const [number, benchCase] of CASES.entries()) {
    const keys = new Set(['id', ...benchCase.indexes.flatMap((gsi) => gsi.KeySchema!.map((key) => key.AttributeName!))])
    await client.send(
      new CreateTableCommand({
        TableName: `case-${number}`,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [...keys].map((name) => ({ AttributeName: name, AttributeType: ATTRIBUTE_TYPES[name] })),
        BillingMode: 'PAY_PER_REQUEST',
        ...(benchCase.indexes.length > 0 ? { GlobalSecondaryIndexes: benchCase.indexes } : {}),
      }),
    )
  }

  // Versions rise across rounds, so that every guarded put succeeds.
  let nextVersion = 0
  const msPerPut: Record<string, number[]> = {}

  for (let round = 1; round <= rounds; round++) {
    const line: string[] = []
    for (const [number, benchCase] of CASES.entries()) {
      const before = processCpuSec(dynalitePid)
      for (let first = 0; first < puts; first += IN_FLIGHT) {
        const sends = []
        for (let n = first; n < Math.min(puts, first + IN_FLIGHT); n++) {
          const version = nextVersion++
          const input = {
            TableName: `case-${number}`,
            Item: orderItem(n % ORDER_IDS, version),
            ...benchCase.guard?.(version),
          }
          sends.push(http.send('PutItem', input))
        }
        await Promise.all(sends)
      }

      const ms = ((processCpuSec(dynalitePid) - before) * 1000) / puts
      ;(msPerPut[benchCase.name] ??= []).push(Math.round(ms * 1000) / 1000)
      line.push(`${benchCase.name} ${ms.toFixed(3)}`)
    }
    console.log(`round ${round}, dynalite CPU ms per PutItem: ${line.join(', ')}`)
  }

  console.log(JSON.stringify({ bench: 'dynalite-put-cost', puts, rounds, msPerPut }))
} finally {
  client.destroy()
  await dynalite.stop()
}
