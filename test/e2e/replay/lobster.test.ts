/**
 * Replays the LOBSTER AAPL sample through the whole product: HTTP API, Kafka
 * command log, engine worker and DynamoDB store on dynalite. After every
 * message the product's book must equal a plain replay of the same plan,
 * level by level. The test also counts how often its top of book equals
 * LOBSTER's.
 *
 * Kafka: KAFKA_BOOTSTRAP_SERVERS when set, else a broker started on ports
 * 19190-19191. DynamoDB: AWS_ENDPOINT_URL when set, else a dynalite child
 * process on a port in 18200-18249. Topic, group and tables are unique to
 * each run, so a shared broker or endpoint keeps no state between runs.
 */

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { pino } from 'pino'

import { loadConfig } from '../../../src/config.ts'
import { readLobsterDir, resolveLobsterDir, type LobsterData } from '../../../src/replay/lobster-file.ts'
import { buildPlan, type ReplayPlan } from '../../../src/replay/lobster-plan.ts'
import { replayLobster, type ReplaySummary, type StepResult } from '../../../src/replay/lobster-replay.ts'
import { ProductClient } from '../../../src/replay/product-client.ts'
import { startService, type Service } from '../../../src/service.ts'
import { startDynaliteProcess, type DynaliteProcess } from '../../helpers/dynalite.ts'
import { startKafka, type KafkaBroker } from '../../helpers/kafka-broker.ts'
import { PlainBook } from './plain-book.ts'

const DYNALITE_PORTS: [number, number] = [18200, 18249]
const KAFKA_PORT = 19190
const KAFKA_CONTROLLER_PORT = 19191

/** LOBSTER's prices are whole cents and its sizes whole shares; AAPL.HEAD hosts the short replay. */
const INSTRUMENTS = {
  'AAPL': { tickSize: '0.01', lotSize: '1' },
  'AAPL.HEAD': { tickSize: '0.01', lotSize: '1' },
}
const DEPTH = 10

/**
 * Top-of-book match rate of the plain replay and of the product against
 * LOBSTER, measured at 955 of 999 rows, minus half a point.
 */
const MIN_TOP_OF_BOOK_RATE = 0.951
/** Full-depth (10 levels) match rate, measured at 113 of 999 rows, minus half a point. */
const MIN_FULL_DEPTH_RATE = 0.108

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' }, pino.destination(2))

describe('LOBSTER replay through the product', { timeout: 15 * 60_000 }, () => {
  const runId = randomUUID().slice(0, 8)
  let kafka: KafkaBroker | undefined
  let dynalite: DynaliteProcess | undefined
  let service: Service | undefined
  let dataDir: string | undefined
  let client: ProductClient
  let data: LobsterData
  let plan: ReplayPlan

  before(async () => {
    data = readLobsterDir(resolveLobsterDir())
    plan = buildPlan(data.messages, data.books[0])

    dataDir = await mkdtemp(join(tmpdir(), 'lobster-e2e-'))
    kafka = await startKafka({
      port: KAFKA_PORT,
      controllerPort: KAFKA_CONTROLLER_PORT,
      dataDir: join(dataDir, 'kafka'),
    })
    dynalite = await startDynaliteProcess({ ports: DYNALITE_PORTS, createTableMs: 0 })

    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      KAFKA_BOOTSTRAP_SERVERS: kafka.bootstrapServers.join(','),
      KAFKA_TOPIC_ORDENES: `lobster-${runId}`,
      KAFKA_GROUP_ID: `lobster-${runId}`,
      KAFKA_CLIENT_ID: `lobster-${runId}`,
      AWS_ENDPOINT_URL: dynalite.endpoint,
      DYNAMO_TABLE_ORDENES: `lobster${runId}_orders`,
      DYNAMO_TABLE_ORDER_BOOK: `lobster${runId}_order_book`,
      DYNAMO_TABLE_TRADES: `lobster${runId}_trades`,
      DYNAMO_TABLE_BOOK_LEVELS: `lobster${runId}_levels`,
      DYNAMO_TABLE_SNAPSHOTS: `lobster${runId}_snapshots`,
      DYNAMO_TABLE_DEAD_LETTERS: `lobster${runId}_dead_letters`,
      INSTRUMENTS: JSON.stringify(INSTRUMENTS),
    })
    service = await startService('all', config, logger)
    client = new ProductClient(service.url!, 5_000)
  })

  after(async () => {
    await service?.stop()
    await dynalite?.stop()
    await kafka?.stop()
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  })

  /** Replays `steps` steps of the plan on `symbol`, asserting after each that the product equals the plain replay. */
  async function replayAgainstPlain(symbol: string, steps: number): Promise<ReplaySummary> {
    const plain = new PlainBook()
    for (const order of plan.seed) plain.apply(order)

    return replayLobster({
      client,
      symbol,
      plan: { seed: plan.seed, steps: plan.steps.slice(0, steps) },
      books: data.books.slice(0, steps),
      depth: DEPTH,
      applyTimeoutMs: 30_000,
      logger,
      onStep: (result: StepResult) => {
        const row = result.step.message.row
        for (const [i, command] of result.step.commands.entries()) {
          assert.equal(result.outcomes[i].result, plain.apply(command), `row ${row}: outcome of ${command.ref}`)
        }
        assert.deepEqual(result.book, plain.depth(DEPTH), `row ${row}: product book differs from the plain replay`)
      },
    })
  }

  it('matches the plain replay before any reduce', async (t) => {
    // Submissions, cancels and executions only: a short run that isolates failures of the basic flow.
    const steps = plan.steps.findIndex((step) => step.commands.some((command) => command.kind === 'reduce'))
    assert.ok(steps > 0)

    const summary = await replayAgainstPlain('AAPL.HEAD', steps)
    t.diagnostic(`summary: ${JSON.stringify(summary)}`)

    assert.equal(summary.rowsCompared, steps)
    assert.equal(summary.topOfBookMatches, steps)
  })

  it('matches the plain replay at every message', async (t) => {
    const summary = await replayAgainstPlain('AAPL', plan.steps.length)
    t.diagnostic(`summary: ${JSON.stringify(summary)}`)

    assert.equal(summary.rowsCompared, data.messages.length)
    assert.equal(summary.skippedByReason.hidden_execution, 61)
    assert.equal(summary.notResting, 0)

    const topOfBookRate = summary.topOfBookMatches / summary.rowsCompared
    assert.ok(topOfBookRate >= MIN_TOP_OF_BOOK_RATE,
      `top of book matched LOBSTER in ${summary.topOfBookMatches} of ${summary.rowsCompared} rows`)

    const fullDepthRate = summary.fullDepthMatches / summary.rowsCompared
    assert.ok(fullDepthRate >= MIN_FULL_DEPTH_RATE,
      `full depth matched LOBSTER in ${summary.fullDepthMatches} of ${summary.rowsCompared} rows`)

    // Every top-of-book mismatch shows liquidity LOBSTER gained while beyond its 10 levels.
    assert.deepEqual(summary.topOfBookMismatchesByCause, {
      unseen_submission: summary.rowsCompared - summary.topOfBookMatches,
    })
  })
})
