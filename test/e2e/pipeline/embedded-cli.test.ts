/**
 * The README's start command: API and engine in one process on the embedded
 * command log and the embedded dynalite, with no external service.
 */

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startCli, type CliProcess } from '../../helpers/cli-process.ts'
import { request, waitFor, waitForOrder } from '../../helpers/http.ts'

const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url))

const EMBEDDED_ENV = {
  PORT: '0',
  KAFKA_BOOTSTRAP_SERVERS: '',
  AWS_ENDPOINT_URL: '',
  COMMAND_LOG: 'embedded',
  STORE: 'embedded',
}

describe('embedded all-in-one process', () => {
  let dataDir: string
  let service: CliProcess | undefined

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'embedded-'))
  })

  after(async () => {
    await service?.stop('SIGKILL')
    await rm(dataDir, { recursive: true, force: true })
  })

  test('a crossing /ordenes pair shows its trade within 2 s', async () => {
    service = await startCli('all', { ...EMBEDDED_ENV, DATA_DIR: dataDir })
    const url = service.url

    const venta = await request(url, 'POST', '/ordenes', { tipo: 'venta', activo: 'AAPL', cantidad: 10, precio: 150.25, cliente_id: 'seller' })
    const compra = await request(url, 'POST', '/ordenes', { tipo: 'compra', activo: 'AAPL', cantidad: 4, precio: 151, cliente_id: 'buyer' })
    assert.equal(venta.status, 202)
    assert.equal(compra.status, 202)

    const trades = await waitFor('the trade of the /ordenes pair', async () => {
      const response = await request(url, 'GET', `/orders/${compra.body.id}/trades`)
      return response.body.trades?.length > 0 ? response.body.trades : undefined
    }, 2000)
    assert.equal(trades.length, 1)
    assert.equal(trades[0].price, '150.25')
    assert.equal(trades[0].quantity, '4')
    assert.equal(trades[0].makerOrderId, venta.body.id)
  })

  test('a restart keeps orders, trades and the resting book', async () => {
    const before = await request(service!.url, 'GET', '/book/AAPL')
    assert.deepEqual(before.body.asks, [{ price: '150.25', quantity: '6', orders: 1 }])

    assert.equal(await service!.stop('SIGTERM'), 0)
    service = await startCli('all', { ...EMBEDDED_ENV, DATA_DIR: dataDir })
    const url = service.url

    const book = await request(url, 'GET', '/book/AAPL')
    assert.deepEqual(book.body.asks, [{ price: '150.25', quantity: '6', orders: 1 }])

    // The engine's in-memory book came back too: a new bid trades with the old ask.
    const bid = await request(url, 'POST', '/orders', { clientId: 'late', symbol: 'AAPL', side: 'buy', type: 'limit', price: '150.25', quantity: '6' })
    const filled = await waitForOrder(url, bid.body.id, (order) => order.status === 'filled')
    assert.equal(filled.averagePrice, '150.25')

    const empty = await request(url, 'GET', '/book/AAPL')
    assert.deepEqual(empty.body.asks, [])
  })

  test('SIGKILL while accepting orders loses no acknowledged order', async () => {
    const url = service!.url
    const acknowledged: string[] = []
    let stopLoad = false

    const load = async (worker: number) => {
      for (let i = 0; !stopLoad; i++) {
        const side = (i + worker) % 2 === 0 ? 'buy' : 'sell'
        try {
          const response = await request(url, 'POST', '/orders', { clientId: `load${worker}`, symbol: `K${worker % 3}`, side, type: 'limit', price: '10', quantity: '1' })
          if (response.status === 202) acknowledged.push(response.body.id)
        } catch {
          return
        }
      }
    }
    const workers = [0, 1, 2, 3].map(load)

    await waitFor('200 acknowledged orders', async () => (acknowledged.length >= 200 ? true : undefined), 30_000)
    await service!.stop('SIGKILL')
    stopLoad = true
    await Promise.all(workers)

    service = await startCli('all', { ...EMBEDDED_ENV, DATA_DIR: dataDir })
    for (const id of acknowledged) {
      const order = await waitForOrder(service.url, id, (o) => o.status !== 'accepted', 30_000)
      assert.ok(['filled', 'open'].includes(order.status), `order ${id} is ${order.status}`)
    }

    // No fill was lost or doubled: every filled order's trades add up to its quantity.
    for (const id of acknowledged.slice(0, 60)) {
      const order: any = (await request(service.url, 'GET', `/orders/${id}`)).body
      const trades: any[] = (await request(service.url, 'GET', `/orders/${id}/trades`)).body.trades
      const traded: number = trades.reduce((sum: number, trade: any) => sum + Number(trade.quantity), 0)
      assert.equal(String(traded), order.filledQuantity, `order ${id}`)
    }
  })
})

describe('embedded process under a changed instrument', () => {
  test('a changed tick size of a traded symbol stops the process', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'embedded-tick-'))
    const cents = JSON.stringify({ TK: { tickSize: '0.01', lotSize: '1' } })
    const service = await startCli('all', { ...EMBEDDED_ENV, DATA_DIR: dataDir, INSTRUMENTS: cents })

    try {
      const bid = await request(service.url, 'POST', '/orders', { clientId: 'c', symbol: 'TK', side: 'buy', type: 'limit', price: '10.05', quantity: '1' })
      await waitForOrder(service.url, bid.body.id, (order) => order.status === 'open')
      assert.equal(await service.stop('SIGTERM'), 0)

      const dimes = JSON.stringify({ TK: { tickSize: '0.1', lotSize: '1' } })
      const child = spawn(process.execPath, [CLI, 'all'], {
        env: { ...process.env, ...EMBEDDED_ENV, DATA_DIR: dataDir, INSTRUMENTS: dimes, LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let stderr = ''
      child.stderr.setEncoding('utf8')
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk
      })
      const [code] = await once(child, 'exit')

      assert.equal(code, 2)
      assert.match(stderr, /TK has resting orders in tickSize 0.01/)
    } finally {
      await service.stop('SIGKILL')
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('embedded process on a damaged log', () => {
  // After SIGTERM a snapshot covers every command. After SIGKILL only the
  // partition's lease in the store records how far the engine persisted.
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    test(`log cut below the store stops the start (${signal})`, { timeout: 60_000 }, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'embedded-damaged-'))
      const env = { ...EMBEDDED_ENV, DATA_DIR: dataDir, EMBEDDED_PARTITIONS: '1', SNAPSHOT_EVERY_COMMANDS: '100000' }
      const service = await startCli('all', env)

      try {
        let last = ''
        for (let i = 0; i < 40; i++) {
          const bid = await request(service.url, 'POST', '/orders', { clientId: 'c', symbol: 'DMG', side: 'buy', type: 'limit', price: '10', quantity: '1' })
          last = bid.body.id
        }
        await waitForOrder(service.url, last, (order) => order.status === 'open')
        await service.stop(signal)

        // Cut in the middle of a record, as a restored older copy or a lost
        // write would leave it: the scan drops the torn record and keeps the rest.
        const partitionDir = join(dataDir, 'log', 'partition-0')
        const [segment] = (await readdir(partitionDir)).filter((name) => name.endsWith('.log'))
        const path = join(partitionDir, segment)
        const { size } = await stat(path)
        await truncate(path, Math.floor(size / 2))

        const child = spawn(process.execPath, [CLI, 'all'], {
          env: { ...process.env, ...env, LOG_LEVEL: 'info' },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stdout = ''
        let stderr = ''
        child.stdout.setEncoding('utf8')
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk
        })
        child.stderr.setEncoding('utf8')
        child.stderr.on('data', (chunk: string) => {
          stderr += chunk
        })
        const [code] = await once(child, 'exit')

        assert.equal(code, 2, stderr)
        assert.match(stderr, /partition 0 of the log has records up to offset \d+, but the store reflects commands up to offset 39/)
        assert.match(stdout, /"msg":"engine worker starting"/)
        assert.doesNotMatch(stdout, /"msg":"API listening"/)
      } finally {
        await service.stop('SIGKILL')
        await rm(dataDir, { recursive: true, force: true })
      }
    })
  }
})

describe('embedded process stopped while it starts', () => {
  test('SIGTERM during the start stops gracefully', { timeout: 60_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'embedded-early-stop-'))
    const child = spawn(process.execPath, [CLI, 'all'], {
      env: { ...process.env, ...EMBEDDED_ENV, DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })

    try {
      let stdout = ''
      child.stdout.setEncoding('utf8')
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk
      })
      // The first log line comes early in the start, before the store and the log are open.
      await once(child.stdout, 'data')
      child.kill('SIGTERM')
      const [code] = await once(child, 'exit')

      assert.equal(code, 0)
      assert.match(stdout, /"msg":"stop requested during the start; stopping once started"/)
      assert.match(stdout, /"msg":"stopped"/)
    } finally {
      child.kill('SIGKILL')
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
