/**
 * An app for tests that must be decided before any I/O: its command log,
 * producer and store fail the request, and record the call, if touched.
 */

import type { FastifyInstance } from 'fastify'
import { pino, type Logger } from 'pino'

import { buildApp } from '../../../src/api/app.ts'
import { loadConfig } from '../../../src/config.ts'
import { parseInstrumentRegistry } from '../../../src/core/instrument-registry.ts'
import type { CommandLog, CommandLogProducer } from '../../../src/log/types.ts'
import type { Store } from '../../../src/store/types.ts'

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

/** AAPL: tick 0.05, whole lots, low limits; every other symbol takes the default instrument. */
export const TEST_INSTRUMENTS = {
  AAPL: { tickSize: '0.05', lotSize: '1', maxPrice: '1000', maxQuantity: '100000' },
}

export interface GuardedApp {
  app: FastifyInstance
  /** Names of the dependency methods that were called; tests expect none. */
  ioCalls: string[]
}

/**
 * Builds the API over dependencies that throw on every call. A validation
 * test that reaches them shows up as a 503 or 500 and in `ioCalls`.
 */
export async function buildGuardedApp(logger: Logger = silentLogger): Promise<GuardedApp> {
  const ioCalls: string[] = []
  const unreachable = (name: string) => async () => {
    ioCalls.push(name)
    throw new Error(`${name} must not be called before validation passes`)
  }

  const producer = { append: unreachable('producer.append'), close: unreachable('producer.close') }
  const log = { ping: unreachable('log.ping') } as unknown as CommandLog
  const store = new Proxy({}, {
    get: (_target, property) => unreachable(`store.${String(property)}`),
  }) as Store

  const app = await buildApp({
    config: loadConfig({ BODY_LIMIT_BYTES: '4096' }),
    log,
    producer: producer as CommandLogProducer,
    store,
    instruments: parseInstrumentRegistry(TEST_INSTRUMENTS),
    logger,
  })
  return { app, ioCalls }
}
