import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { startDynaliteProcess, type DynaliteProcess } from '../../helpers/dynalite.ts'
import { createDynamoStore } from '../../../src/store/dynamo-store.ts'
import { makeOrder, STORE_TEST_PORTS, storeOptions, uniqueTables } from './fixtures.ts'

function rawClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
}

/** Listens on the first free port of the inclusive range. */
async function listenInRange(server: Server, [first, last]: [number, number]): Promise<number> {
  for (let port = first; port <= last; port++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject)
          resolve()
        })
      })
      return (server.address() as AddressInfo).port
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE') throw error
    }
  }
  throw new Error(`no free port in ${first}-${last}`)
}

describe('ensureTables', () => {
  let dynalite: DynaliteProcess

  before(async () => {
    dynalite = await startDynaliteProcess({ ports: STORE_TEST_PORTS, createTableMs: 50 })
  })

  after(async () => {
    await dynalite.stop()
  })

  test('creates six tables and is idempotent', async () => {
    const tables = uniqueTables()
    const first = createDynamoStore(storeOptions(dynalite.endpoint, tables))
    const second = createDynamoStore(storeOptions(dynalite.endpoint, tables))

    await Promise.all([first.ensureTables(), second.ensureTables()])
    await first.ensureTables()

    const client = rawClient(dynalite.endpoint)
    const listed = await client.send(new ListTablesCommand({}))
    client.destroy()
    for (const name of Object.values(tables)) {
      assert.ok(listed.TableNames?.includes(name), `table ${name} is missing`)
    }

    await first.ping()
    await first.close()
    await second.close()
  })

  test('rejects an existing table with other keys', async () => {
    const tables = uniqueTables()
    const client = rawClient(dynalite.endpoint)
    await client.send(
      new CreateTableCommand({
        TableName: tables.orders,
        KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    )
    client.destroy()

    const store = createDynamoStore(storeOptions(dynalite.endpoint, tables))
    await assert.rejects(store.ensureTables(), /does not match this version's layout/)
    await store.close()
  })
})

describe('dynalite process', () => {
  test('keeps data on disk across restarts', async (t) => {
    if ((process.env.AWS_ENDPOINT_URL ?? '') !== '') {
      t.skip('AWS_ENDPOINT_URL names a server this test does not start')
      return
    }
    const path = await mkdtemp(join(tmpdir(), 'dynalite-'))
    t.after(() => rm(path, { recursive: true, force: true }))
    const tables = uniqueTables()
    const order = makeOrder()

    const first = await startDynaliteProcess({ ports: STORE_TEST_PORTS, path })
    const writer = createDynamoStore(storeOptions(first.endpoint, tables))
    await writer.ensureTables()
    await writer.putAcceptedOrder(order)
    await writer.close()
    await first.stop()

    const second = await startDynaliteProcess({ ports: STORE_TEST_PORTS, path })
    const reader = createDynamoStore(storeOptions(second.endpoint, tables))
    await reader.ensureTables()
    assert.deepEqual(await reader.getOrder(order.id), order)
    await reader.close()
    await second.stop()
  })
})

describe('ping', () => {
  // The test timeouts only catch a ping() that hangs.
  test('fails fast once dynalite stops', { timeout: 10_000 }, async (t) => {
    const dynalite = await startDynaliteProcess({ ports: STORE_TEST_PORTS })
    if (dynalite.external) {
      t.skip('AWS_ENDPOINT_URL names a server this test cannot stop')
      return
    }

    const store = createDynamoStore(storeOptions(dynalite.endpoint, uniqueTables()))
    await store.ensureTables()
    await store.ping()

    await dynalite.stop()

    await assert.rejects(store.ping(), { code: 'ECONNREFUSED' })

    await store.close()
  })

  test('times out when the server never responds', { timeout: 10_000 }, async () => {
    // A listening socket that accepts connections and never responds, like a hung server.
    const sockets = new Set<Socket>()
    const server = createServer((socket) => sockets.add(socket))
    const port = await listenInRange(server, STORE_TEST_PORTS)

    const store = createDynamoStore({ ...storeOptions(`http://127.0.0.1:${port}`, uniqueTables()), requestTimeoutMs: 300 })

    await assert.rejects(store.ping(), { name: 'TimeoutError', message: /300 ms requestTimeout/ })

    await store.close()
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
})
