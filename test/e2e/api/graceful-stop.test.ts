/**
 * A graceful stop of the API responds to every request already in flight: each
 * POST whose append has begun gets its 202 before close() resolves.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'

import { buildApp } from '../../../src/api/app.ts'
import { loadConfig } from '../../../src/config.ts'
import { parseInstrumentRegistry } from '../../../src/core/instrument-registry.ts'
import { createFileLog, type FileLog } from '../../../src/log/file-log.ts'
import type { CommandLogProducer } from '../../../src/log/types.ts'
import type { Store } from '../../../src/store/types.ts'
import { PARTITIONS, silentLogger, TEST_INSTRUMENTS } from './fixtures.ts'

const IN_FLIGHT = 8

describe('graceful stop of the API', () => {
  let dir: string
  let log: FileLog

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'api-stop-'))
    log = createFileLog({ dir, partitions: PARTITIONS, logger: silentLogger })
    await log.ensure()
  })

  after(async () => {
    await log.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('requests in flight get their 202', async () => {
    const producer = log.producer()
    const started: Array<() => void> = []
    // Holds each append at its start until the stop has begun, so that every
    // POST is in flight when close() is called.
    const heldProducer: CommandLogProducer = {
      append: async (key, value) => {
        await new Promise<void>((resolve) => started.push(resolve))
        return producer.append(key, value)
      },
      close: () => producer.close(),
    }
    const store = new Proxy({}, {
      get: (_target, property) => async () => {
        throw new Error(`store.${String(property)} is not used by POST /orders`)
      },
    }) as Store
    const app = await buildApp({
      config: loadConfig({}),
      log,
      producer: heldProducer,
      store,
      instruments: parseInstrumentRegistry(TEST_INSTRUMENTS),
      logger: silentLogger,
    })
    const url = await app.listen({ host: '127.0.0.1', port: 0 })

    const responses = Array.from({ length: IN_FLIGHT }, (_, index) =>
      fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'c1', symbol: 'AAPL', side: 'buy', type: 'limit', price: '100', quantity: String(index + 1) }),
      }))
    while (started.length < IN_FLIGHT) await new Promise((resolve) => setTimeout(resolve, 5))

    const closing = app.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    for (const release of started) release()

    const settled = await Promise.all(responses)
    await closing
    await producer.close()

    assert.deepEqual(settled.map((response) => response.status), Array(IN_FLIGHT).fill(202))
    // Without Connection: close, close() waits for each connection's keep-alive timeout.
    assert.deepEqual(settled.map((response) => response.headers.get('connection')), Array(IN_FLIGHT).fill('close'))
    const ends = await log.endOffsets()
    assert.equal(ends.reduce((sum, end) => sum + end, 0n), BigInt(IN_FLIGHT))
  })
})
