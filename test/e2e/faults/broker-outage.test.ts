/**
 * The Kafka broker stopped under HTTP load on the `all` process and started
 * again on the same data directory. While it is down, POST /orders returns
 * 503 with Retry-After. Afterwards the API accepts orders again and the
 * engine catches up by itself. Its tables then equal those of a second
 * engine group that reads the same topic into tables of its own.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Consumer } from '@platformatic/kafka'
import { startDynaliteProcess, type DynaliteProcess } from '../../helpers/dynalite.ts'
import { request, waitFor } from '../../helpers/http.ts'
import { startKafka, type KafkaBroker } from '../../helpers/kafka-broker.ts'
import { spawnCli, stopDrained, waitForLeases, type EngineProcess } from './engine-process.ts'
import { diffStates, documentClient, invariantViolations, readState, tableSet } from './state.ts'
import { instrumentsFor, seededRandom } from './workload.ts'

const PARTITIONS = 3
const SYMBOLS = ['BOA', 'BOB', 'BOC', 'BOD']
const CLIENTS = 6
const ACKS_BEFORE_OUTAGE = 400
const ACKS_AFTER_OUTAGE = 300
// Time the broker stays stopped in each outage, in ms. The first outage is
// longer than the consumer's 10 s session timeout, so the engine loses its
// group membership and rejoins. The second restarts the broker at once, but
// the broker's stop and start took longer than the session timeout in every
// run so far, so it checks that the same recovery works a second time.
const OUTAGES_MS = [15_000, 0]
const REQUEST_TIMEOUT_MS = 2000
const CATCH_UP_TIMEOUT_MS = 180_000

/** 'before', or a step of the n-th outage such as 'down 1'. */
type Phase = 'before' | `${'stopping' | 'down' | 'starting' | 'after'} ${number}`

interface Acknowledged {
  id: string
  body: Record<string, string>
}

/** Responses per phase of the outage, so that a failed check shows the phase. */
class LoadTally {
  readonly acknowledged: Acknowledged[] = []
  readonly statuses = new Map<string, number>()
  /** 503 responses without a Retry-After header or with another error code. */
  readonly malformed503: string[] = []
  /** Slowest 503 to a request sent while the broker was down, in ms. Reported, not asserted. */
  max503Ms = 0
  /** Time of the first 202 to a request sent after each restart, by outage number. */
  readonly firstAckAfterRestartMs = new Map<number, number>()

  count(phase: Phase, outcome: string): void {
    const key = `${phase} ${outcome}`
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1)
  }

  counted(phase: Phase, outcome: string): number {
    return this.statuses.get(`${phase} ${outcome}`) ?? 0
  }

  /** Counts requests that did not get a 202. Each may still have put its order in the log. */
  unacknowledged(): number {
    let sum = 0
    for (const [key, count] of this.statuses) {
      if (!key.endsWith(' 202')) sum += count
    }
    return sum
  }
}

/** End offset of each partition of `topic`, one past its last record. */
async function endOffsets(bootstrapServers: string[], topic: string): Promise<bigint[]> {
  const client = new Consumer({ clientId: 'faults-outage-offsets', groupId: 'faults-outage-offsets', bootstrapBrokers: bootstrapServers })
  try {
    const offsets = await client.listOffsets({ topics: [topic] })
    const partitions = offsets.get(topic)
    if (partitions === undefined) throw new Error(`no offsets listed for ${topic}`)
    return partitions
  } finally {
    await client.close(true)
  }
}

describe('Kafka broker stopped under HTTP load', () => {
  let dataDir: string
  let broker: KafkaBroker
  let dynalite: DynaliteProcess
  const processes: EngineProcess[] = []

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'faults-broker-'))
    broker = await startKafka({ port: 19498, controllerPort: 19499, dataDir: join(dataDir, 'kafka'), alwaysStart: true })
    dynalite = await startDynaliteProcess({ ports: [18450, 18454], createTableMs: 0 })
  })

  after(async () => {
    for (const child of processes) await child.stop('SIGKILL')
    await dynalite?.stop()
    await broker?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  test('503 while down, no acknowledged order lost', async (t) => {
    assert.equal(broker.external, false, 'this test needs a broker it can stop')
    const run = `${process.pid}-${Date.now()}`
    const topic = `faults.broker.${run}`
    const common = {
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers.join(','),
      KAFKA_TOPIC_ORDENES: topic,
      KAFKA_PARTITIONS: String(PARTITIONS),
      KAFKA_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      AWS_ENDPOINT_URL: dynalite.endpoint,
      INSTRUMENTS: instrumentsFor(SYMBOLS),
      SNAPSHOT_EVERY_COMMANDS: '300',
      ENGINE_BATCH_MAX_COMMANDS: '100',
      DATA_DIR: dataDir,
    }
    const outage = tableSet(`broker${process.pid}`)
    const reference = tableSet(`brokerref${process.pid}`)

    const service = spawnCli('all', { ...common, ...outage.env, PORT: '0', KAFKA_GROUP_ID: `bout-${run}` })
    processes.push(service)
    const listening = await service.waitForLine('"API listening"', 60_000)
    const url = (JSON.parse(listening) as { url: string }).url

    const tally = new LoadTally()
    const random = seededRandom(1905)
    let phase: Phase = 'before'
    let stopLoad = false

    const load = async (client: number): Promise<void> => {
      while (!stopLoad) {
        const shape = random()
        let timeInForce = 'GTC'
        if (shape < 0.1) timeInForce = 'IOC'
        else if (shape < 0.15) timeInForce = 'FOK'
        const body = {
          clientId: `b${client}`,
          symbol: SYMBOLS[Math.floor(random() * SYMBOLS.length)],
          side: random() < 0.5 ? 'buy' : 'sell',
          type: 'limit',
          // 99.50 to 100.50 around one mid price, so about half the orders cross.
          price: String((9950 + Math.floor(random() * 101)) / 100),
          quantity: String(1 + Math.floor(random() * 10)),
          timeInForce,
        }
        const sentIn = phase
        const sentAtMs = Date.now()
        let response
        try {
          response = await request(url, 'POST', '/orders', body)
        } catch (error) {
          tally.count(sentIn, `error ${(error as Error).message}`)
          continue
        }

        tally.count(sentIn, String(response.status))
        const [step, outageNumber] = sentIn.split(' ')
        if (response.status === 202) {
          tally.acknowledged.push({ id: response.body.id, body })
          const number = Number(outageNumber)
          if (step === 'after' && !tally.firstAckAfterRestartMs.has(number)) tally.firstAckAfterRestartMs.set(number, Date.now())
          continue
        }
        if (response.status !== 503) continue

        if (step === 'down') tally.max503Ms = Math.max(tally.max503Ms, Date.now() - sentAtMs)
        const retryAfter = response.headers.get('retry-after')
        if (retryAfter === null || response.body.error !== 'log_unavailable') {
          tally.malformed503.push(`Retry-After ${retryAfter}, body ${JSON.stringify(response.body)}`)
        }
        // A client honouring Retry-After would wait 1 s. A short pause keeps
        // the load on without a busy loop against a fast failure.
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    const clients = Array.from({ length: CLIENTS }, (_, client) => load(client))

    const acknowledgedAtLeast = (count: number, timeoutMs: number) =>
      waitFor(`${count} acknowledged orders`, async () => (tally.acknowledged.length >= count ? true : undefined), timeoutMs)
        .catch((error: Error) => {
          throw new Error(`${error.message}; responses ${JSON.stringify([...tally.statuses])}\n${service.output()}`)
        })

    await acknowledgedAtLeast(ACKS_BEFORE_OUTAGE, 60_000)
    const restartedMs: number[] = []
    for (const [index, outageMs] of OUTAGES_MS.entries()) {
      const number = index + 1
      t.diagnostic(`outage ${number}: broker stopped for ${outageMs} ms after ${tally.acknowledged.length} acknowledged`)
      phase = `stopping ${number}`
      await broker.stop()
      phase = `down ${number}`
      // Long enough for several appends to time out even when outageMs is 0.
      await new Promise((resolve) => setTimeout(resolve, Math.max(outageMs, 2 * REQUEST_TIMEOUT_MS)))
      assert.equal(service.exited(), false, `the service survives outage ${number}:\n${service.output()}`)
      phase = `starting ${number}`
      await broker.start()
      phase = `after ${number}`
      restartedMs.push(Date.now())

      await acknowledgedAtLeast(tally.acknowledged.length + ACKS_AFTER_OUTAGE, 120_000)
    }
    stopLoad = true
    await Promise.all(clients)
    const loadEndedMs = Date.now()
    t.diagnostic(`responses ${JSON.stringify(Object.fromEntries(tally.statuses))}`)

    for (let number = 1; number <= OUTAGES_MS.length; number++) {
      assert.ok(tally.counted(`down ${number}`, '503') > 0, `POSTs sent while the broker is down answer 503 (outage ${number})`)
      assert.equal(tally.counted(`down ${number}`, '202'), 0, `no POST sent while the broker is down is acknowledged (outage ${number})`)
    }
    assert.deepEqual(tally.malformed503, [], 'every 503 carries Retry-After and log_unavailable')
    const unexpected = [...tally.statuses.keys()].filter((key) => !/ (202|503)$/.test(key))
    assert.deepEqual(unexpected, [], 'every POST answers 202 or 503')

    // Every record in the topic, including appends that timed out but were
    // written anyway, must be applied before the state is read.
    const ends = await endOffsets(broker.bootstrapServers, topic)
    const lastOffsets = new Map<number, bigint>()
    ends.forEach((end, partition) => {
      if (end > 0n) lastOffsets.set(partition, end - 1n)
    })
    const doc = documentClient(dynalite.endpoint)
    await waitForLeases(doc, outage.tables.snapshots, lastOffsets, CATCH_UP_TIMEOUT_MS)
      .catch((error: Error) => {
        throw new Error(`${error.message}\n${service.output()}`)
      })
    const caughtUpMs = Date.now()
    await stopDrained(service, lastOffsets)
    assert.deepEqual(await endOffsets(broker.bootstrapServers, topic), ends, 'nothing was appended after the load')

    const replay = spawnCli('engine', { ...common, ...reference.env, KAFKA_GROUP_ID: `bref-${run}` })
    processes.push(replay)
    await waitForLeases(doc, reference.tables.snapshots, lastOffsets, CATCH_UP_TIMEOUT_MS)
    await stopDrained(replay, lastOffsets)

    const actual = await readState(doc, outage.tables)
    const expected = await readState(doc, reference.tables)

    const missing: string[] = []
    const unsettled: string[] = []
    const altered: string[] = []
    for (const { id, body } of tally.acknowledged) {
      const order = actual.orders.get(id)
      if (order === undefined) {
        missing.push(id)
        continue
      }
      if (order.status === 'accepted') unsettled.push(id)
      const stored = { symbol: order.symbol, side: order.side, price: order.price, quantity: order.quantity }
      const sent = { symbol: body.symbol, side: body.side, price: body.price, quantity: body.quantity }
      if (JSON.stringify(stored) !== JSON.stringify(sent)) altered.push(`${id}: sent ${JSON.stringify(sent)}, stored ${JSON.stringify(stored)}`)
    }
    const acknowledgedIds = new Set(tally.acknowledged.map(({ id }) => id))
    const extras = [...actual.orders.keys()].filter((id) => !acknowledgedIds.has(id)).length

    const differences = diffStates(expected, actual)
    const firstAcksMs = restartedMs.map((startedMs, index) => (tally.firstAckAfterRestartMs.get(index + 1) ?? Number.NaN) - startedMs)
    const lastRestartMs = restartedMs[restartedMs.length - 1]
    t.diagnostic(
      `first 202 after each restart at ${firstAcksMs.join(', ')} ms; after the last restart the load ended at ` +
        `${loadEndedMs - lastRestartMs} ms and every record was applied at ${caughtUpMs - lastRestartMs} ms; ` +
        `slowest 503 while down ${tally.max503Ms} ms`,
    )
    const down503 = OUTAGES_MS.map((_, index) => tally.counted(`down ${index + 1}`, '503'))
    t.diagnostic(
      `acknowledged ${tally.acknowledged.length}, 503 while down ${down503.join(' + ')}, ` +
        `unacknowledged but stored ${extras}, orders ${actual.orders.size}, trade items ${actual.trades.size}, ` +
        `resting ${actual.resting.size}, levels ${actual.levels.size}, mismatches ${differences.length}`,
    )
    assert.deepEqual(missing, [], 'every acknowledged order is stored')
    assert.deepEqual(unsettled, [], 'every acknowledged order is applied')
    assert.deepEqual(altered, [], 'every acknowledged order is stored as sent')
    assert.ok(extras <= tally.unacknowledged(), `${extras} unacknowledged orders stored, ${tally.unacknowledged()} requests not acknowledged`)
    assert.ok(actual.trades.size > 0, 'the load traded')
    assert.deepEqual(differences, [])
    assert.deepEqual(invariantViolations(actual), [])
  })
})
