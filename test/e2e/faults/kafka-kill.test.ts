/**
 * SIGKILL of a Kafka-mode engine process at many points of a run: the
 * final orders, trades and books must equal those of an uninterrupted
 * engine group that reads the same topic into tables of its own.
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
import { commandsBehind, spawnCli, stopDrained, waitForLeases, type EngineProcess } from './engine-process.ts'
import { diffStates, documentClient, invariantViolations, readLease, readState, scanAll, tableSet } from './state.ts'
import { appendAll, buildWorkload, instrumentsFor, seededRandom } from './workload.ts'

const SEED = 20260105
const COMMANDS = 20_000
const KILLS = 10
const PARTITIONS = 4
const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF', 'GGG', 'HHH']
// An engine restarted after a SIGKILL waits for the dead member's 10 s
// session to expire before the group assigns partitions again.
const ASSIGN_TIMEOUT_MS = 60_000
const FINISH_TIMEOUT_MS = 240_000
// Maximum random wait between a progress target and its kill. At the
// measured drain of 1,000-1,900 commands/s a batch of 500 takes 0.3-0.5 s,
// so longer waits would land most kills after the batch.
const KILL_DELAY_MAX_MS = 600

describe('engine killed with SIGKILL, Kafka mode', () => {
  let dataDir: string
  let broker: KafkaBroker
  let dynalite: DynaliteProcess
  let log: CommandLog
  const processes: EngineProcess[] = []

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'faults-kill-'))
    broker = await startKafka({ port: 19490, controllerPort: 19491, dataDir: join(dataDir, 'kafka') })
    dynalite = await startDynaliteProcess({ ports: [19392, 19394], createTableMs: 0 })
  })

  after(async () => {
    for (const engine of processes) await engine.stop('SIGKILL')
    await log?.close()
    await dynalite?.stop()
    await broker?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  test('final state equals an uninterrupted run', async (t) => {
    const run = `${process.pid}-${Date.now()}`
    const topic = `faults.kill.${run}`
    log = createKafkaLog({
      bootstrapServers: broker.bootstrapServers,
      topic,
      partitions: PARTITIONS,
      replicationFactor: 1,
      clientId: 'faults-writer',
      requestTimeoutMs: 10_000,
      maxBatchRecords: 500,
      logger: pino({ level: 'silent' }),
    })
    await log.ensure()

    const commands = buildWorkload({ seed: SEED, count: COMMANDS, symbols: SYMBOLS, idPrefix: `k${run}` })
    const producer = log.producer()
    const lastOffsets = await appendAll(producer, commands, 250)
    await producer.close()
    assert.equal(lastOffsets.size, PARTITIONS, 'every partition received commands')

    const common = {
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers.join(','),
      KAFKA_TOPIC_ORDENES: topic,
      KAFKA_PARTITIONS: String(PARTITIONS),
      AWS_ENDPOINT_URL: dynalite.endpoint,
      INSTRUMENTS: instrumentsFor(SYMBOLS),
      SNAPSHOT_EVERY_COMMANDS: '1500',
      // The kill targets follow the lease's fromOffset, which moves a batch at
      // a time. Batches of 500 keep those steps small next to the targets.
      ENGINE_BATCH_MAX_COMMANDS: '500',
      DATA_DIR: dataDir,
    }
    const reference = tableSet(`ref${process.pid}`)
    const victim = tableSet(`kill${process.pid}`)
    const referenceEnv = { ...common, ...reference.env, KAFKA_GROUP_ID: `ref-${run}` }
    const victimEnv = { ...common, ...victim.env, KAFKA_GROUP_ID: `kill-${run}` }

    const uninterrupted = spawnCli('engine', referenceEnv)
    processes.push(uninterrupted)

    const doc = documentClient(dynalite.endpoint)
    const persistedCommands = async () => {
      let sum = 0
      for (const partition of lastOffsets.keys()) {
        const lease = await readLease(doc, victim.tables.snapshots, partition).catch(() => undefined)
        sum += lease === undefined ? 0 : Number(lease.fromOffset)
      }
      return sum
    }
    // Every partition's last batch has begun, so the lease's progress stops
    // moving and a target beyond it would never be reached.
    const finished = async () => (await commandsBehind(doc, victim.tables.snapshots, lastOffsets)) === 0

    const random = seededRandom(SEED + 1)
    const startedMs = Date.now()
    const progress: number[] = []
    for (let kill = 0; kill < KILLS; kill++) {
      const engine = spawnCli('engine', victimEnv)
      processes.push(engine)
      await engine.waitForLine('"partition assigned"', ASSIGN_TIMEOUT_MS)

      // Kill points spread over the run: each waits for a progress target,
      // so that a batch has just begun, then a random delay lands the kill
      // before, during or after that batch's writes. The first kill hits
      // the first batch. A target is always past the previous kill, so that
      // a restarted engine begins at least one batch of its own before it
      // is killed again.
      const scheduled = Math.floor(((kill + random() * 0.5) * COMMANDS) / (KILLS + 1))
      const target = Math.max(scheduled, (progress.at(-1) ?? -1) + 1)
      while ((await persistedCommands()) < target && !engine.exited() && !(await finished())) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * KILL_DELAY_MAX_MS)))
      await engine.stop('SIGKILL')
      progress.push(await persistedCommands())
    }
    t.diagnostic(`commands persisted at each kill: ${progress.join(', ')}`)
    assert.ok(progress[KILLS - 1] < COMMANDS, 'the last kill happened before the run finished')
    assert.ok(new Set(progress).size >= KILLS - 1, 'the kills hit different points of the run')

    const survivor = spawnCli('engine', victimEnv)
    processes.push(survivor)
    await waitForLeases(doc, victim.tables.snapshots, lastOffsets, FINISH_TIMEOUT_MS)
    await stopDrained(survivor, lastOffsets)
    await waitForLeases(doc, reference.tables.snapshots, lastOffsets, FINISH_TIMEOUT_MS)
    await stopDrained(uninterrupted, lastOffsets)
    t.diagnostic(`both runs finished ${Math.round((Date.now() - startedMs) / 1000)} s after the first start`)

    const expected = await readState(doc, reference.tables)
    const actual = await readState(doc, victim.tables)
    const newOrders = commands.filter((command) => command.kind === 'new').length
    assert.equal(expected.orders.size, newOrders, 'the uninterrupted run stored every new order')
    assert.ok(expected.trades.size > 1000, `the workload trades (${expected.trades.size} trade items)`)
    assert.ok(expected.resting.size > 0, 'orders rest on the books at the end')

    const differences = diffStates(expected, actual)
    t.diagnostic(`kills ${KILLS}, commands ${COMMANDS}, orders ${actual.orders.size}, trade items ${actual.trades.size}, ` +
      `resting ${actual.resting.size}, levels ${actual.levels.size}, mismatches ${differences.length}`)
    assert.deepEqual(differences, [])
    assert.deepEqual(invariantViolations(actual), [])
    assert.deepEqual(invariantViolations(expected), [])

    const deadLetters = await scanAll(doc, victim.tables.deadLetters)
    assert.equal(deadLetters.length, 0, 'no well-formed command is dead-lettered')
  })
})
