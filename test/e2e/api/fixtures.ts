/**
 * The API over real components for end-to-end tests: the embedded file log
 * in a temp directory and a DynamoDB store on a dynalite child process.
 */

import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'

import { buildApp } from '../../../src/api/app.ts'
import { loadConfig } from '../../../src/config.ts'
import { parseInstrumentRegistry } from '../../../src/core/instrument-registry.ts'
import { decodeCommand, type Command } from '../../../src/log/commands.ts'
import { createFileLog, type FileLog } from '../../../src/log/file-log.ts'
import type { CommandLogProducer, LogRecord } from '../../../src/log/types.ts'
import { createDynamoStore } from '../../../src/store/dynamo-store.ts'
import type { Store } from '../../../src/store/types.ts'
import { startDynaliteProcess, type DynaliteProcess } from '../../helpers/dynalite.ts'

/** Ports for dynalite; the range 18150-18199 is left for API servers. */
export const DYNALITE_PORTS: [number, number] = [18100, 18149]
export const HTTP_PORTS: [number, number] = [18150, 18199]

export const PARTITIONS = 3
export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

/** AAPL: tick 0.05 and whole lots; other symbols take the default instrument. */
export const TEST_INSTRUMENTS = { AAPL: { tickSize: '0.05', lotSize: '1' } }

export interface ApiFixture {
  app: FastifyInstance
  log: FileLog
  producer: CommandLogProducer
  store: Store
  dynalite: DynaliteProcess
  close(): Promise<void>
}

/** Starts dynalite, a store with tables unique to the call, a file log and the app. */
export async function startApi(): Promise<ApiFixture> {
  const dynalite = await startDynaliteProcess({ ports: DYNALITE_PORTS, createTableMs: 0 })
  const prefix = `api${randomUUID().slice(0, 8)}`
  const env = {
    BODY_LIMIT_BYTES: '4096',
    KAFKA_REQUEST_TIMEOUT_MS: '1000',
    DYNAMO_REQUEST_TIMEOUT_MS: '1000',
    DYNAMO_TABLE_ORDENES: `${prefix}_orders`,
    DYNAMO_TABLE_ORDER_BOOK: `${prefix}_order_book`,
    DYNAMO_TABLE_TRADES: `${prefix}_trades`,
    DYNAMO_TABLE_BOOK_LEVELS: `${prefix}_levels`,
    DYNAMO_TABLE_SNAPSHOTS: `${prefix}_snapshots`,
    DYNAMO_TABLE_DEAD_LETTERS: `${prefix}_dead_letters`,
  }
  const config = loadConfig(env)

  const store = createDynamoStore({
    region: 'us-east-1',
    endpoint: dynalite.endpoint,
    tables: config.tables,
    requestTimeoutMs: config.aws.requestTimeoutMs,
    logger: silentLogger,
    requestRetry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 },
  })
  await store.ensureTables()

  const dir = await mkdtemp(join(tmpdir(), 'api-e2e-'))
  const log = createFileLog({ dir, partitions: PARTITIONS, logger: silentLogger })
  await log.ensure()
  const producer = log.producer()

  const app = await buildApp({
    config,
    log,
    producer,
    store,
    instruments: parseInstrumentRegistry(TEST_INSTRUMENTS),
    logger: silentLogger,
  })

  return {
    app,
    log,
    producer,
    store,
    dynalite,
    close: async () => {
      await app.close()
      await producer.close().catch(() => {})
      await log.close()
      await store.close()
      await dynalite.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface CommandRecord {
  record: LogRecord
  command: Command
}

/**
 * Reads the log from offset 0 with a fresh consumer group until `done`
 * returns true for what was read so far; rejects after `timeoutMs`.
 */
export async function readCommands(
  log: FileLog,
  done: (read: CommandRecord[]) => boolean,
  timeoutMs = 10_000,
): Promise<CommandRecord[]> {
  const consumer = log.consumer(`api-test-${randomUUID()}`)
  const read: CommandRecord[] = []

  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`log did not contain the expected commands within ${timeoutMs} ms`))
    }, timeoutMs)
    consumer
      .run({
        assigned: async () => 0n,
        records: async (_partition, batch) => {
          for (const record of batch) read.push({ record, command: decodeCommand(record.value) })
          if (done(read)) {
            clearTimeout(timer)
            resolve()
          }
        },
        revoked: async () => {},
      })
      .catch(reject)
  })

  try {
    await finished
  } finally {
    await consumer.close()
  }
  return read
}
