/**
 * Wires the components a role needs from the configuration: the command log
 * (embedded or Kafka), the store (embedded dynalite or DynamoDB), the HTTP
 * API and the engine worker, and stops them in reverse order.
 */

import { join } from 'node:path'
import type { Logger } from 'pino'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './api/app.ts'
import type { Config } from './config.ts'
import { ConfigError } from './config.ts'
import { parseInstrumentRegistry } from './core/instrument-registry.ts'
import { EngineWorker } from './engine/worker.ts'
import { createFileLog } from './log/file-log.ts'
import { createKafkaLog } from './log/kafka-log.ts'
import type { CommandLog, CommandLogProducer } from './log/types.ts'
import { startDynalite, type DynaliteServer } from './store/dynalite-server.ts'
import { createDynamoStore } from './store/dynamo-store.ts'
import type { Store } from './store/types.ts'

export type Role = 'api' | 'engine' | 'all'

export interface Service {
  /** Base URL of the HTTP API when this role serves it. */
  readonly url: string | undefined
  readonly store: Store
  readonly log: CommandLog
  readonly engine: EngineWorker | undefined
  stop(): Promise<void>
}

export interface ServiceOptions {
  /** Called when a component cannot go on, such as the engine under a conflicting configuration. */
  onFatal?: (error: Error) => void
}

export async function startService(role: Role, config: Config, logger: Logger, options: ServiceOptions = {}): Promise<Service> {
  if (role !== 'all' && (config.commandLog === 'embedded' || config.store === 'embedded')) {
    throw new ConfigError([
      `the "${role}" role needs shared infrastructure: set KAFKA_BOOTSTRAP_SERVERS (or COMMAND_LOG=kafka) ` +
        'and AWS_ENDPOINT_URL (or STORE=dynamodb); the embedded log and store run only in the "all" role',
    ])
  }

  const instruments = parseInstrumentRegistry(config.instruments)
  const stops: Array<() => Promise<void>> = []
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop()
      } catch (error) {
        logger.error({ err: error }, 'component failed to stop')
      }
    }
  }

  try {
    const { store, dynalite } = await openStore(config, logger)
    if (dynalite !== undefined) stops.push(() => dynalite.close())
    stops.push(() => store.close())
    await withContext(store.ensureTables(), () =>
      config.store === 'embedded'
        ? `the embedded store under ${config.dataDir} failed to start`
        : `DynamoDB at ${config.aws.endpoint ?? `region ${config.aws.region}`} is not reachable (AWS_ENDPOINT_URL, AWS_REGION)`)

    const log = openLog(config, logger)
    stops.push(() => log.close())
    await withContext(log.ensure(), () =>
      config.commandLog === 'embedded'
        ? `the embedded command log under ${config.dataDir} failed to open`
        : `Kafka at ${config.kafka.bootstrapServers.join(',')} is not reachable or topic ${config.kafka.topic} ` +
          'cannot be created (KAFKA_BOOTSTRAP_SERVERS, KAFKA_TOPIC_ORDENES)')

    let engine: EngineWorker | undefined
    if (role !== 'api') {
      engine = new EngineWorker({
        log,
        store,
        instruments,
        logger: logger.child({ component: 'engine' }),
        groupId: config.kafka.groupId,
        snapshotEveryCommands: config.engine.snapshotEveryCommands,
        onFatal: options.onFatal,
      })
      engine.start()
      const started = engine
      stops.push(() => started.stop())
      // The consumer refuses a log that ends before what the store reflects.
      // Until it has checked, a 202 could go to a command it would skip.
      if (role === 'all' && config.commandLog === 'embedded') await engine.allPartitionsAssigned()
    }

    let url: string | undefined
    if (role !== 'engine') {
      const producer: CommandLogProducer = log.producer()
      stops.push(() => producer.close())

      const app: FastifyInstance = await buildApp({
        config,
        log,
        producer,
        store,
        instruments,
        logger: logger.child({ component: 'api' }),
      })
      stops.push(() => closeApp(app, logger))
      url = await app.listen({ host: config.host, port: config.port })
      logger.info({ url, role, commandLog: config.commandLog, store: config.store }, 'API listening')
    }

    return { url, store, log, engine, stop: stopAll }
  } catch (error) {
    await stopAll()
    throw error
  }
}

async function openStore(config: Config, logger: Logger): Promise<{ store: Store, dynalite?: DynaliteServer }> {
  let endpoint = config.aws.endpoint
  let dynalite: DynaliteServer | undefined

  if (config.store === 'embedded') {
    dynalite = await startDynalite({
      host: '127.0.0.1',
      port: config.dynalitePort,
      path: join(config.dataDir, 'dynamo'),
      logger: logger.child({ component: 'dynalite' }),
    })
    endpoint = dynalite.endpoint
  }

  const store = createDynamoStore({
    region: config.aws.region,
    endpoint,
    tables: config.tables,
    requestTimeoutMs: config.aws.requestTimeoutMs,
    logger: logger.child({ component: 'store' }),
  })
  return { store, dynalite }
}

function openLog(config: Config, logger: Logger): CommandLog {
  if (config.commandLog === 'embedded') {
    return createFileLog({
      dir: join(config.dataDir, 'log'),
      partitions: config.embeddedPartitions,
      batchMaxRecords: config.engine.batchMaxCommands,
      logger: logger.child({ component: 'file-log' }),
    })
  }

  return createKafkaLog({
    bootstrapServers: config.kafka.bootstrapServers,
    topic: config.kafka.topic,
    partitions: config.kafka.partitions,
    replicationFactor: config.kafka.replicationFactor,
    clientId: config.kafka.clientId,
    requestTimeoutMs: config.kafka.requestTimeoutMs,
    producerLingerMs: config.kafka.producerLingerMs,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    maxBatchRecords: config.engine.batchMaxCommands,
    logger: logger.child({ component: 'kafka' }),
  })
}

/** Prefixes a startup failure with what was being reached and which settings name it. */
async function withContext(step: Promise<void>, context: () => string): Promise<void> {
  try {
    await step
  } catch (error) {
    throw new Error(`${context()}: ${(error as Error).message}`, { cause: error })
  }
}

/**
 * Bound on waiting for requests in flight when the API stops, in ms. Node
 * enforces the request timeout only on its periodic connection check, so a
 * stalled upload could otherwise outlast the CLI's 15 s stop bound.
 */
const API_DRAIN_MS = 8000

/** Closes the API, then cuts the connections still open after API_DRAIN_MS. */
async function closeApp(app: FastifyInstance, logger: Logger): Promise<void> {
  const force = setTimeout(() => {
    logger.warn({ drainMs: API_DRAIN_MS }, 'requests still in flight after the drain bound, so their connections are closed')
    app.server.closeAllConnections()
  }, API_DRAIN_MS)

  try {
    await app.close()
  } finally {
    clearTimeout(force)
  }
}
