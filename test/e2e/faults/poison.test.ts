/**
 * Poison records written straight to the topic: each lands in the dead
 * letters with its reason, and the command after it is still applied.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { pino } from 'pino'
import { COMMAND_VERSION, encodeCommand, type NewOrderCommand } from '../../../src/log/commands.ts'
import { createKafkaLog } from '../../../src/log/kafka-log.ts'
import type { CommandLog } from '../../../src/log/types.ts'
import { startDynaliteProcess, type DynaliteProcess } from '../../helpers/dynalite.ts'
import { waitFor } from '../../helpers/http.ts'
import { startKafka, type KafkaBroker } from '../../helpers/kafka-broker.ts'
import { spawnCli, type EngineProcess } from './engine-process.ts'
import { documentClient, scanAll, tableSet } from './state.ts'
import { instrumentsFor } from './workload.ts'

const SYMBOL = 'PSN'
const TIMESTAMP = '2026-01-05T14:30:00.000Z'

function order(id: string, fields: Partial<NewOrderCommand> = {}): Record<string, unknown> {
  return {
    v: COMMAND_VERSION,
    kind: 'new',
    id,
    clientId: 'p',
    symbol: SYMBOL,
    side: 'buy',
    type: 'limit',
    price: '10',
    quantity: '1',
    timeInForce: 'GTC',
    timestamp: TIMESTAMP,
    source: 'orders',
    ...fields,
  }
}

function without(record: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...record }
  delete copy[field]
  return copy
}

/** Each case: a record value and a fragment of the reason the engine must store. */
const POISON: Array<{ name: string, value: Buffer, reason: string }> = [
  { name: 'not JSON', value: Buffer.from('{"v":1,"kind":'), reason: 'not JSON' },
  { name: 'binary', value: Buffer.from([0xff, 0x00, 0xfe, 0x7b]), reason: 'not JSON' },
  { name: 'JSON array', value: Buffer.from('[1,2]'), reason: 'not a JSON object' },
  { name: 'unknown version', value: Buffer.from(JSON.stringify({ ...order('p-v2'), v: 2 })), reason: 'unsupported version 2' },
  { name: 'no version', value: Buffer.from(JSON.stringify(without(order('p-nov'), 'v'))), reason: 'unsupported version' },
  { name: 'unknown kind', value: Buffer.from(JSON.stringify({ ...order('p-kind'), kind: 'amend' })), reason: 'unknown kind "amend"' },
  { name: 'missing id', value: Buffer.from(JSON.stringify(without(order('p-noid'), 'id'))), reason: 'id is missing' },
  { name: 'missing symbol', value: Buffer.from(JSON.stringify(without(order('p-nosym'), 'symbol'))), reason: 'symbol is missing' },
  { name: 'missing timestamp', value: Buffer.from(JSON.stringify(without(order('p-nots'), 'timestamp'))), reason: 'timestamp' },
  { name: 'missing side', value: Buffer.from(JSON.stringify(without(order('p-noside'), 'side'))), reason: 'side' },
  { name: 'missing quantity', value: Buffer.from(JSON.stringify(without(order('p-noqty'), 'quantity'))), reason: 'quantity is missing' },
  { name: 'missing clientId', value: Buffer.from(JSON.stringify(without(order('p-nocl'), 'clientId'))), reason: 'clientId is missing' },
  { name: 'numeric price', value: Buffer.from(JSON.stringify(order('p-num', { price: 10 as unknown as string }))), reason: 'price' },
  { name: 'price not a decimal', value: encodeCommand(order('p-abc', { price: 'abc' }) as unknown as NewOrderCommand), reason: 'price "abc"' },
  { name: 'price off tick', value: encodeCommand(order('p-tick', { price: '10.001' }) as unknown as NewOrderCommand), reason: 'price "10.001"' },
  { name: 'negative quantity', value: encodeCommand(order('p-neg', { quantity: '-5' }) as unknown as NewOrderCommand), reason: 'quantity "-5"' },
  { name: 'fractional lot', value: encodeCommand(order('p-lot', { quantity: '1.5' }) as unknown as NewOrderCommand), reason: 'quantity "1.5"' },
  { name: 'empty modify', value: Buffer.from(JSON.stringify({ v: 1, kind: 'modify', orderId: 'ok-0', symbol: SYMBOL, clientId: 'p', timestamp: TIMESTAMP })), reason: 'neither price nor quantity' },
]

describe('poison records in the command topic', () => {
  let dataDir: string
  let broker: KafkaBroker
  let dynalite: DynaliteProcess
  let log: CommandLog
  let engine: EngineProcess | undefined

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'faults-poison-'))
    broker = await startKafka({ port: 19492, controllerPort: 19493, dataDir: join(dataDir, 'kafka') })
    dynalite = await startDynaliteProcess({ ports: [19395, 19397], createTableMs: 0 })
  })

  after(async () => {
    await engine?.stop('SIGKILL')
    await log?.close()
    await dynalite?.stop()
    await broker?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  test('each lands in dead letters and the next command applies', async () => {
    const run = `${process.pid}-${Date.now()}`
    const topic = `faults.poison.${run}`
    log = createKafkaLog({
      bootstrapServers: broker.bootstrapServers,
      topic,
      partitions: 2,
      replicationFactor: 1,
      clientId: 'faults-poison',
      requestTimeoutMs: 10_000,
      maxBatchRecords: 500,
      logger: pino({ level: 'silent' }),
    })
    await log.ensure()

    // A valid order follows each poison record on the same partition.
    const producer = log.producer()
    const offsets = new Map<string, number>()
    await producer.append(SYMBOL, Buffer.from(JSON.stringify(order('ok-0'))))
    for (const [index, poison] of POISON.entries()) {
      const position = await producer.append(SYMBOL, poison.value)
      offsets.set(poison.name, Number(position.offset))
      await producer.append(SYMBOL, Buffer.from(JSON.stringify(order(`ok-${index + 1}`))))
    }
    await producer.close()

    const { tables, env } = tableSet(`poison${process.pid}`)
    engine = spawnCli('engine', {
      ...env,
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers.join(','),
      KAFKA_TOPIC_ORDENES: topic,
      KAFKA_GROUP_ID: `poison-${run}`,
      KAFKA_PARTITIONS: '2',
      AWS_ENDPOINT_URL: dynalite.endpoint,
      INSTRUMENTS: instrumentsFor([SYMBOL]),
      DATA_DIR: dataDir,
    })

    const doc = documentClient(dynalite.endpoint)
    const lastId = `ok-${POISON.length}`
    const orders = await waitFor('the order after the last poison record', async () => {
      const items = await scanAll(doc, tables.orders)
      return items.some((item) => item.id === lastId) ? items : undefined
    }, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\nengine output:\n${engine?.output()}`)
    })

    const ids = new Set(orders.map((item) => item.id))
    for (let index = 0; index <= POISON.length; index++) {
      assert.ok(ids.has(`ok-${index}`), `order ok-${index} was applied`)
    }
    for (const item of orders) {
      assert.match(item.id, /^ok-/, `no poison record became order ${item.id}`)
      assert.equal(item.status, 'open', `order ${item.id} is open`)
    }

    const letters = await waitFor('every dead letter', async () => {
      const items = await scanAll(doc, tables.deadLetters)
      return items.length >= POISON.length ? items : undefined
    }, 30_000)
    assert.equal(letters.length, POISON.length)

    for (const poison of POISON) {
      const letter = letters.find((item) => item.offset === offsets.get(poison.name))
      assert.ok(letter !== undefined, `${poison.name}: dead letter at offset ${offsets.get(poison.name)}`)
      assert.ok(letter.reason.includes(poison.reason), `${poison.name}: reason ${JSON.stringify(letter.reason)} names ${poison.reason}`)
      assert.equal(Buffer.from(letter.valueBase64, 'base64').toString('hex'), poison.value.toString('hex'), `${poison.name}: value kept`)
      assert.equal(letter.key, SYMBOL)
    }
    assert.equal(await engine.stop('SIGTERM'), 0, engine.output())
  })
})
