/**
 * dynalite stopped under load and started again on the same data
 * directory: the engine stalls, retries, resumes by itself, and the final
 * state equals an uninterrupted run stored in a second dynalite.
 */

import assert from 'node:assert/strict'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { pino } from 'pino'
import { createKafkaLog } from '../../../src/log/kafka-log.ts'
import type { CommandLog } from '../../../src/log/types.ts'
import { startDynaliteProcess, type DynaliteProcess } from '../../helpers/dynalite.ts'
import { startKafka, type KafkaBroker } from '../../helpers/kafka-broker.ts'
import { spawnCli, stopDrained, waitForLeases, type EngineProcess } from './engine-process.ts'
import { diffStates, documentClient, invariantViolations, readLease, readState, tableSet } from './state.ts'
import { appendAll, buildWorkload, instrumentsFor } from './workload.ts'

const COMMANDS = 4000
const PARTITIONS = 3
const SYMBOLS = ['SA', 'SB', 'SC', 'SD']
const OUTAGE_PORT = 18420
const OUTAGE_MS = 6000

describe('store outage under load', () => {
  let dataDir: string
  let broker: KafkaBroker
  let outageStore: DynaliteProcess
  let referenceStore: DynaliteProcess
  let log: CommandLog
  const processes: EngineProcess[] = []

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'faults-store-'))
    broker = await startKafka({ port: 19496, controllerPort: 19497, dataDir: join(dataDir, 'kafka') })
    outageStore = await startDynaliteProcess({ ports: [OUTAGE_PORT, OUTAGE_PORT], path: join(dataDir, 'dynamo'), createTableMs: 0 })
    referenceStore = await startDynaliteProcess({ ports: [18421, 18425], createTableMs: 0 })
  })

  after(async () => {
    for (const engine of processes) await engine.stop('SIGKILL')
    await log?.close()
    await outageStore?.stop()
    await referenceStore?.stop()
    await broker?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  test('engine stalls, resumes and matches', async (t) => {
    assert.equal(outageStore.external, false, 'this test needs a dynalite it can stop')
    const run = `${process.pid}-${Date.now()}`
    const topic = `faults.store.${run}`
    log = createKafkaLog({
      bootstrapServers: broker.bootstrapServers,
      topic,
      partitions: PARTITIONS,
      replicationFactor: 1,
      clientId: 'faults-store',
      requestTimeoutMs: 10_000,
      maxBatchRecords: 500,
      logger: pino({ level: 'silent' }),
    })
    await log.ensure()

    const commands = buildWorkload({ seed: 99, count: COMMANDS, symbols: SYMBOLS, idPrefix: `s${run}` })
    const producer = log.producer()
    const lastOffsets = await appendAll(producer, commands, 250)
    await producer.close()

    const common = {
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers.join(','),
      KAFKA_TOPIC_ORDENES: topic,
      KAFKA_PARTITIONS: String(PARTITIONS),
      INSTRUMENTS: instrumentsFor(SYMBOLS),
      SNAPSHOT_EVERY_COMMANDS: '600',
      ENGINE_BATCH_MAX_COMMANDS: '200',
      DYNAMO_REQUEST_TIMEOUT_MS: '1000',
      DATA_DIR: dataDir,
    }
    const { tables, env } = tableSet('outage')
    const reference = spawnCli('engine', { ...common, ...env, AWS_ENDPOINT_URL: referenceStore.endpoint, KAFKA_GROUP_ID: `sref-${run}` })
    const engine = spawnCli('engine', { ...common, ...env, AWS_ENDPOINT_URL: outageStore.endpoint, KAFKA_GROUP_ID: `sout-${run}` })
    processes.push(reference, engine)

    const doc = documentClient(outageStore.endpoint)
    let persisted = 0
    while (persisted < COMMANDS / 4) {
      persisted = 0
      for (const partition of lastOffsets.keys()) {
        const lease = await readLease(doc, tables.snapshots, partition).catch(() => undefined)
        persisted += lease === undefined ? 0 : Number(lease.fromOffset)
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }

    // The store's own request retries log first ('failed, retrying'); the
    // engine's retry of the whole batch ('failed; retrying') follows once they
    // give up. The wait starts before the stop, since the first retries come
    // while dynalite is still shutting down.
    const retrying = engine.waitForLine('retrying', 30_000)
    await outageStore.stop()
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS))
    await retrying
    assert.equal(engine.exited(), false, 'the engine survives the outage')
    outageStore = await startDynaliteProcess({ ports: [OUTAGE_PORT, OUTAGE_PORT], path: join(dataDir, 'dynamo'), createTableMs: 0 })
    t.diagnostic(`dynalite stopped for ${OUTAGE_MS} ms with ${persisted} commands persisted`)

    await waitForLeases(doc, tables.snapshots, lastOffsets, 180_000)
    await stopDrained(engine, lastOffsets)
    const referenceDoc = documentClient(referenceStore.endpoint)
    await waitForLeases(referenceDoc, tables.snapshots, lastOffsets, 180_000)
    await stopDrained(reference, lastOffsets)

    const expected = await readState(referenceDoc, tables)
    const actual = await readState(doc, tables)
    const differences = diffStates(expected, actual)
    t.diagnostic(`commands ${COMMANDS}, orders ${actual.orders.size}, trade items ${actual.trades.size}, mismatches ${differences.length}`)
    // KEEP_EVIDENCE=1 keeps it for a passing run too, to compare with a failed one.
    if (differences.length > 0 || process.env.KEEP_EVIDENCE === '1') await keepEvidence(run, dataDir, engine, reference, doc, tables.orders, differences)
    assert.ok(expected.trades.size > 0, 'the workload trades')
    assert.deepEqual(differences, [])
    assert.deepEqual(invariantViolations(actual), [])
  })
})

/**
 * Keeps what a failed run needs to be explained: both engines' logs, the
 * outage store's files and a consistent GetItem of every differing order,
 * which distinguishes a write that never landed from an item a Scan missed.
 */
async function keepEvidence(
  run: string,
  dataDir: string,
  engine: EngineProcess,
  reference: EngineProcess,
  doc: DynamoDBDocumentClient,
  ordersTable: string,
  differences: string[],
): Promise<void> {
  const dir = join(tmpdir(), `store-outage-failure-${run}`)
  await mkdir(dir, { recursive: true })
  await engine.saveLog(join(dir, 'outage-engine.log'))
  await reference.saveLog(join(dir, 'reference-engine.log'))
  await cp(join(dataDir, 'dynamo'), join(dir, 'dynamo'), { recursive: true })

  const lookups = []
  for (const difference of differences) {
    const key = /^orders (\S+):/.exec(difference)?.[1]
    if (key === undefined) continue
    const output = await doc.send(new GetCommand({ TableName: ordersTable, Key: { id: key }, ConsistentRead: true }))
    lookups.push({ id: key, item: output.Item ?? null })
  }
  await writeFile(join(dir, 'differences.json'), JSON.stringify({ differences, lookups }, null, 2))
  process.stderr.write(`store-outage: evidence kept in ${dir}\n`)
}
