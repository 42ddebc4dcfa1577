/**
 * The embedded `all` process (on-disk log, in-process dynalite) killed with
 * SIGKILL twice under HTTP load: every acknowledged order is present and
 * settled, and the final tables equal those of a fresh process that
 * rebuilds them from a copy of the same command log without a crash.
 */

import assert from 'node:assert/strict'
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startCli, type CliProcess } from '../../helpers/cli-process.ts'
import { request, waitFor } from '../../helpers/http.ts'
import { diffStates, documentClient, invariantViolations, readState, tableSet } from './state.ts'
import { instrumentsFor, seededRandom } from './workload.ts'

const SYMBOLS = ['EMA', 'EMB', 'EMC', 'EMD']
const WORKERS = 6
const ACKS_BEFORE_KILL = [400, 400]
const DYNALITE_PORT = 18410
const REBUILD_DYNALITE_PORT = 18411

const EMBEDDED_ENV = {
  PORT: '0',
  KAFKA_BOOTSTRAP_SERVERS: '',
  AWS_ENDPOINT_URL: '',
  COMMAND_LOG: 'embedded',
  STORE: 'embedded',
  SNAPSHOT_EVERY_COMMANDS: '150',
  ENGINE_BATCH_MAX_COMMANDS: '100',
  INSTRUMENTS: instrumentsFor(SYMBOLS),
}

interface Acknowledged {
  id: string
  body: Record<string, string>
}

describe('embedded process killed with SIGKILL under load', () => {
  let dataDir: string
  let service: CliProcess | undefined

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'faults-embedded-'))
  })

  after(async () => {
    await service?.stop('SIGKILL')
    await rm(dataDir, { recursive: true, force: true })
  })

  test('acknowledged orders survive with the fills of a clean rebuild', async (t) => {
    const env = { ...EMBEDDED_ENV, DATA_DIR: join(dataDir, 'run'), DYNALITE_PORT: String(DYNALITE_PORT) }
    const random = seededRandom(4242)
    const acknowledged: Acknowledged[] = []
    const statuses = new Map<number, number>()

    for (const acks of ACKS_BEFORE_KILL) {
      service = await startCli('all', env)
      const url = service.url
      const target = acknowledged.length + acks
      let stopLoad = false

      const load = async (worker: number) => {
        while (!stopLoad) {
          const body = {
            clientId: `w${worker}`,
            symbol: SYMBOLS[Math.floor(random() * SYMBOLS.length)],
            side: random() < 0.5 ? 'buy' : 'sell',
            type: 'limit',
            price: String((9950 + Math.floor(random() * 101)) / 100),
            quantity: String(1 + Math.floor(random() * 10)),
            timeInForce: random() < 0.1 ? 'IOC' : 'GTC',
          }
          try {
            const response = await request(url, 'POST', '/orders', body)
            if (response.status === 202) acknowledged.push({ id: response.body.id, body })
            else statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
          } catch {
            // The process was killed; requests in flight were never acknowledged.
            return
          }
        }
      }
      const workers = Array.from({ length: WORKERS }, (_, worker) => load(worker))

      await waitFor(`${target} acknowledged orders`, async () => (acknowledged.length >= target ? true : undefined), 60_000)
        .catch((error: Error) => {
          throw new Error(`${error.message}; other statuses ${JSON.stringify([...statuses])}\n${service?.output()}`)
        })
      await service.stop('SIGKILL')
      stopLoad = true
      await Promise.all(workers)
    }

    service = await startCli('all', env)
    for (const { id, body } of acknowledged) {
      const order = await waitFor(`order ${id} settled`, async () => {
        const response = await request(service!.url, 'GET', `/orders/${id}`)
        return response.status === 200 && response.body.status !== 'accepted' ? response.body : undefined
      }, 60_000)
      assert.equal(order.symbol, body.symbol, `order ${id} symbol`)
      assert.equal(order.side, body.side, `order ${id} side`)
      assert.equal(order.price, body.price, `order ${id} price`)
      assert.equal(order.quantity, body.quantity, `order ${id} quantity`)
    }
    assert.equal(await service.stop('SIGTERM'), 0, service.output())

    // Read the killed run's tables once its process is up again with nothing left to apply.
    const names = { ...tableSet('unused').tables, orders: 'orders', orderBook: 'order_book', trades: 'trades_by_order', levels: 'book_levels' }
    service = await startCli('all', env)
    const actual = await readState(documentClient(`http://127.0.0.1:${DYNALITE_PORT}`), names)
    assert.equal(await service.stop('SIGTERM'), 0, service.output())

    // A fresh process rebuilds every table from a copy of the log alone.
    const rebuildDir = join(dataDir, 'rebuild')
    await mkdir(rebuildDir, { recursive: true })
    await cp(join(dataDir, 'run', 'log'), join(rebuildDir, 'log'), { recursive: true })
    service = await startCli('all', { ...env, DATA_DIR: rebuildDir, DYNALITE_PORT: String(REBUILD_DYNALITE_PORT) })
    const rebuildDoc = documentClient(`http://127.0.0.1:${REBUILD_DYNALITE_PORT}`)
    const expected = await waitFor('the rebuild to store every order and trade', async () => {
      const state = await readState(rebuildDoc, names)
      const done = state.orders.size === actual.orders.size && state.trades.size === actual.trades.size &&
        [...state.orders.values()].every((order) => order.status !== 'accepted')
      return done ? state : undefined
    }, 120_000)
    assert.equal(await service.stop('SIGTERM'), 0, service.output())

    const differences = diffStates(expected, actual)
    t.diagnostic(`kills ${ACKS_BEFORE_KILL.length}, acknowledged ${acknowledged.length}, orders ${actual.orders.size}, ` +
      `trade items ${actual.trades.size}, mismatches ${differences.length}`)
    assert.ok(actual.orders.size >= acknowledged.length, 'every acknowledged order is stored')
    assert.ok(actual.trades.size > 0, 'the load traded')
    assert.deepEqual(differences, [])
    assert.deepEqual(invariantViolations(actual), [])
  })
})
