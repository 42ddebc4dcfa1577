/**
 * Two engine instances in one consumer group; one is killed with SIGKILL
 * mid-run. The survivor takes its partitions, resumes them from their
 * snapshots and leases, and the final state equals an uninterrupted run.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { pino } from 'pino'
import { createKafkaLog } from '../../../src/log/kafka-log.ts'
import type { CommandLog } from '../../../src/log/types.ts'
import { startDynaliteProcess, type DynaliteProcess } from '../../helpers/dynalite.ts'
import { startKafka, type KafkaBroker } from '../../helpers/kafka-broker.ts'
import { spawnCli, stopDrained, waitForLeases, type EngineProcess } from './engine-process.ts'
import { diffStates, documentClient, invariantViolations, readLease, readState, tableSet } from './state.ts'
import { appendAll, buildWorkload, instrumentsFor } from './workload.ts'

const SEED = 7
const COMMANDS = 6000
const PARTITIONS = 4
const SYMBOLS = ['GA', 'GB', 'GC', 'GD', 'GE', 'GF']
const TIMEOUT_MS = 180_000

describe('engine group losing one of two instances', () => {
  let dataDir: string
  let broker: KafkaBroker
  let dynalite: DynaliteProcess
  let log: CommandLog
  const processes: EngineProcess[] = []

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'faults-failover-'))
    broker = await startKafka({ port: 19494, controllerPort: 19495, dataDir: join(dataDir, 'kafka') })
    dynalite = await startDynaliteProcess({ ports: [19398, 19399], createTableMs: 0 })
  })

  after(async () => {
    for (const engine of processes) await engine.stop('SIGKILL')
    await log?.close()
    await dynalite?.stop()
    await broker?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  test('survivor takes over and the state matches', async (t) => {
    const run = `${process.pid}-${Date.now()}`
    const topic = `faults.failover.${run}`
    log = createKafkaLog({
      bootstrapServers: broker.bootstrapServers,
      topic,
      partitions: PARTITIONS,
      replicationFactor: 1,
      clientId: 'faults-failover',
      requestTimeoutMs: 10_000,
      maxBatchRecords: 500,
      logger: pino({ level: 'silent' }),
    })
    await log.ensure()

    const commands = buildWorkload({ seed: SEED, count: COMMANDS, symbols: SYMBOLS, idPrefix: `g${run}` })
    const producer = log.producer()
    const lastOffsets = await appendAll(producer, commands, 250)
    await producer.close()

    const common = {
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers.join(','),
      KAFKA_TOPIC_ORDENES: topic,
      KAFKA_PARTITIONS: String(PARTITIONS),
      AWS_ENDPOINT_URL: dynalite.endpoint,
      INSTRUMENTS: instrumentsFor(SYMBOLS),
      SNAPSHOT_EVERY_COMMANDS: '700',
      ENGINE_BATCH_MAX_COMMANDS: '200',
      DATA_DIR: dataDir,
    }
    const reference = tableSet(`gref${process.pid}`)
    const pair = tableSet(`gpair${process.pid}`)
    const pairEnv = { ...common, ...pair.env, KAFKA_GROUP_ID: `pair-${run}` }

    const uninterrupted = spawnCli('engine', { ...common, ...reference.env, KAFKA_GROUP_ID: `gref-${run}` })
    const victim = spawnCli('engine', pairEnv)
    processes.push(uninterrupted, victim)
    await victim.waitForLine('"partition assigned"', 60_000)
    const survivor = spawnCli('engine', pairEnv)
    processes.push(survivor)
    await survivor.waitForLine('"partition assigned"', 60_000)

    const doc = documentClient(dynalite.endpoint)
    let persisted = 0
    while (persisted < COMMANDS / 3) {
      persisted = 0
      for (const partition of lastOffsets.keys()) {
        const lease = await readLease(doc, pair.tables.snapshots, partition)
        persisted += lease === undefined ? 0 : Number(lease.fromOffset)
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.ok(victim.assignedPartitions().size > 0, 'the victim owned partitions before the kill')
    await victim.stop('SIGKILL')
    t.diagnostic(`victim killed with ${persisted} commands persisted`)

    await waitForLeases(doc, pair.tables.snapshots, lastOffsets, TIMEOUT_MS)
    await stopDrained(survivor, lastOffsets)
    await waitForLeases(doc, reference.tables.snapshots, lastOffsets, TIMEOUT_MS)
    await stopDrained(uninterrupted, lastOffsets)

    const assignedPartitions = survivor.assignedPartitions()
    assert.equal(assignedPartitions.size, PARTITIONS, 'the survivor owned every partition at some point')

    const expected = await readState(doc, reference.tables)
    const actual = await readState(doc, pair.tables)
    const differences = diffStates(expected, actual)
    t.diagnostic(`commands ${COMMANDS}, orders ${actual.orders.size}, trade items ${actual.trades.size}, mismatches ${differences.length}`)
    assert.ok(expected.trades.size > 0, 'the workload trades')
    assert.deepEqual(differences, [])
    assert.deepEqual(invariantViolations(actual), [])
  })
})
