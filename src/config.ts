/**
 * Configuration from the environment (and `.env` when present), validated
 * once at startup. Every option, its default and its rule live here.
 */

import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'

import { SYMBOL_PATTERN } from './api/schemas/common.ts'
import { findDuplicateKey } from './duplicate-keys.ts'
import { InstrumentConfigError } from './core/instrument.ts'
import { parseInstrumentRegistry } from './core/instrument-registry.ts'

export type LogBackend = 'embedded' | 'kafka'
export type StoreBackend = 'embedded' | 'dynamodb'

export interface Config {
  host: string
  port: number
  logLevel: string
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number
  dataDir: string

  commandLog: LogBackend
  kafka: {
    bootstrapServers: string[]
    topic: string
    partitions: number
    replicationFactor: number
    clientId: string
    groupId: string
    /** Bound on one produce or metadata request; past it the API returns 503. */
    requestTimeoutMs: number
    /** Time to wait before each Produce request, in ms, so that more appends share it. */
    producerLingerMs: number
    /**
     * Time after which the broker drops a silent engine from the group, in
     * ms: the maximum wait before a crashed engine's partitions move on.
     */
    sessionTimeoutMs: number
  }
  /** Partition count of the embedded log. */
  embeddedPartitions: number

  store: StoreBackend
  aws: {
    region: string
    endpoint: string | undefined
    requestTimeoutMs: number
  }
  tables: {
    orders: string
    orderBook: string
    trades: string
    levels: string
    snapshots: string
    deadLetters: string
  }
  /** Port of the in-process dynalite in the embedded mode; 0 picks a free one. */
  dynalitePort: number

  engine: {
    /** Largest number of commands applied and persisted as one batch. */
    batchMaxCommands: number
    /** A snapshot is written after at least this many commands since the last one. */
    snapshotEveryCommands: number
  }

  /** Instrument definitions as a JSON object keyed by symbol; see the README. */
  instruments: Record<string, unknown>
}

export class ConfigError extends Error {
  readonly problems: string[]

  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

type Env = Record<string, string | undefined>

/**
 * Reads `.env` from the working directory into process.env without
 * overriding variables that are already set.
 */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path)
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = []
  const reader = new EnvReader(env, problems)

  const bootstrap = reader.optional('KAFKA_BOOTSTRAP_SERVERS') ?? ''
  const endpoint = reader.optional('AWS_ENDPOINT_URL')
  const commandLog = reader.oneOf<LogBackend>(
    'COMMAND_LOG',
    ['embedded', 'kafka'],
    bootstrap === '' ? 'embedded' : 'kafka',
  )
  const store = reader.oneOf<StoreBackend>(
    'STORE',
    ['embedded', 'dynamodb'],
    endpoint === undefined ? 'embedded' : 'dynamodb',
  )

  const config: Config = {
    host: reader.string('HOST', '127.0.0.1'),
    port: reader.integer('PORT', 8000, 0, 65535),
    logLevel: reader.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    bodyLimitBytes: reader.integer('BODY_LIMIT_BYTES', 16 * 1024, 256, 1024 * 1024),
    dataDir: resolve(reader.string('DATA_DIR', './data')),

    commandLog,
    kafka: {
      bootstrapServers: bootstrap.split(',').map((s) => s.trim()).filter(Boolean),
      topic: reader.string('KAFKA_TOPIC_ORDENES', 'orders.accepted'),
      partitions: reader.integer('KAFKA_PARTITIONS', 3, 1, 1024),
      replicationFactor: reader.integer('KAFKA_REPLICATION_FACTOR', 1, 1, 16),
      clientId: reader.string('KAFKA_CLIENT_ID', 'order-engine'),
      groupId: reader.string('KAFKA_GROUP_ID', 'matching-engine'),
      requestTimeoutMs: reader.integer('KAFKA_REQUEST_TIMEOUT_MS', 5000, 100, 120_000),
      producerLingerMs: reader.integer('KAFKA_PRODUCER_LINGER_MS', 0, 0, 1000),
      // The broker's default group.min.session.timeout.ms is 6000. The log
      // needs a session within the consumer's rebalance timeout (60 s).
      sessionTimeoutMs: reader.integer('KAFKA_SESSION_TIMEOUT_MS', 10_000, 6_000, 60_000),
    },
    embeddedPartitions: reader.integer('EMBEDDED_PARTITIONS', 3, 1, 256),

    store,
    aws: {
      region: reader.string('AWS_REGION', 'us-east-1'),
      endpoint,
      requestTimeoutMs: reader.integer('DYNAMO_REQUEST_TIMEOUT_MS', 3000, 100, 120_000),
    },
    tables: {
      orders: reader.string('DYNAMO_TABLE_ORDENES', 'orders'),
      orderBook: reader.string('DYNAMO_TABLE_ORDER_BOOK', 'order_book'),
      trades: reader.string('DYNAMO_TABLE_TRADES', 'trades_by_order'),
      levels: reader.string('DYNAMO_TABLE_BOOK_LEVELS', 'book_levels'),
      snapshots: reader.string('DYNAMO_TABLE_SNAPSHOTS', 'engine_snapshots'),
      deadLetters: reader.string('DYNAMO_TABLE_DEAD_LETTERS', 'dead_letters'),
    },
    dynalitePort: reader.integer('DYNALITE_PORT', 0, 0, 65535),

    engine: {
      // A larger batch coalesces more writes per item. Draining a backlog in
      // bench/service.ts, 2000 sent 1.2 store requests per command where 500
      // sent 1.6. A batch must still persist within the Kafka consumer's
      // rebalance timeout (60 s), which bounds how far this can grow.
      batchMaxCommands: reader.integer('ENGINE_BATCH_MAX_COMMANDS', 2000, 1, 10_000),
      snapshotEveryCommands: reader.integer('SNAPSHOT_EVERY_COMMANDS', 5000, 1, 10_000_000),
    },

    instruments: reader.instruments(),
  }

  if (commandLog === 'kafka' && config.kafka.bootstrapServers.length === 0) {
    problems.push('KAFKA_BOOTSTRAP_SERVERS is required when COMMAND_LOG=kafka (e.g. 127.0.0.1:9092)')
  }

  // Every append waits out the linger inside its request timeout, so a linger
  // of half the timeout or more leaves too little for the round trip.
  if (2 * config.kafka.producerLingerMs >= config.kafka.requestTimeoutMs) {
    problems.push(
      `KAFKA_PRODUCER_LINGER_MS (${config.kafka.producerLingerMs}) must be below half of ` +
        `KAFKA_REQUEST_TIMEOUT_MS (${config.kafka.requestTimeoutMs}), or every append waits most of its timeout`,
    )
  }

  for (const [name, table] of Object.entries(config.tables)) {
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
      problems.push(`table name for ${name} must be 3-255 characters of A-Z a-z 0-9 _ . - (got ${JSON.stringify(table)})`)
    }
  }

  checkInstruments(config.instruments, problems)

  if (problems.length > 0) throw new ConfigError(problems)
  return config
}

/** Adds a problem for each symbol the API would reject and for the first invalid instrument field. */
function checkInstruments(instruments: Record<string, unknown>, problems: string[]): void {
  const symbol = new RegExp(SYMBOL_PATTERN)
  for (const key of Object.keys(instruments)) {
    if (!symbol.test(key)) {
      problems.push(`instrument ${JSON.stringify(key)} is not a valid symbol: use 1-16 of A-Z 0-9 . _ - starting with a letter or digit`)
    }
  }

  try {
    parseInstrumentRegistry(instruments)
  } catch (error) {
    if (!(error instanceof InstrumentConfigError)) throw error
    problems.push(error.message)
  }
}

/**
 * Reader of the environment that collects a problem for each invalid value.
 * A variable with a default must not be set empty, because falling back
 * would hide the mistake (`PORT=` would start on 8000). An optional variable
 * with no default, read through `optional`, counts as unset when empty.
 */
class EnvReader {
  #env: Env
  #problems: string[]

  constructor(env: Env, problems: string[]) {
    this.#env = env
    this.#problems = problems
  }

  /** Returns the value of an optional variable, or undefined when it is unset or empty. */
  optional(name: string): string | undefined {
    const value = this.#env[name]
    return value === '' ? undefined : value
  }

  string(name: string, fallback: string): string {
    return this.#read(name, fallback) ?? fallback
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.#read(name, String(fallback))
    if (raw === undefined) return fallback

    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      this.#problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`)
      return fallback
    }
    return Number(raw)
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.#read(name, fallback)
    if (raw === undefined) return fallback

    if (!(allowed as readonly string[]).includes(raw)) {
      this.#problems.push(`${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(raw)})`)
      return fallback
    }
    return raw as T
  }

  /** Returns the value of a variable with a default, or undefined when it is unset, or empty or blank (a problem). */
  #read(name: string, fallback: string): string | undefined {
    const value = this.#env[name]
    if (value !== undefined && value.trim() === '') {
      this.#problems.push(
        `${name} is set but empty: give it a value, or unset it to use the default ${JSON.stringify(fallback)}`,
      )
      return undefined
    }
    return value
  }

  /** Reads INSTRUMENTS (JSON text) or else INSTRUMENTS_FILE (a path to a JSON file). */
  instruments(): Record<string, unknown> {
    const inline = this.optional('INSTRUMENTS')
    const file = this.optional('INSTRUMENTS_FILE')
    let text: string | undefined
    let source = 'INSTRUMENTS'

    if (inline !== undefined) {
      text = inline
    } else if (file !== undefined) {
      source = `INSTRUMENTS_FILE (${file})`
      try {
        text = readFileSync(file, 'utf8')
      } catch (error) {
        this.#problems.push(`${source} cannot be read: ${(error as Error).message}`)
        return {}
      }
    }
    if (text === undefined) return {}

    try {
      const parsed: unknown = JSON.parse(text)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        this.#problems.push(`${source} must be a JSON object keyed by symbol`)
        return {}
      }
      // JSON.parse keeps only the last of two entries with the same name, so
      // the first definition of a symbol or field would be lost silently.
      const repeated = findDuplicateKey(text)
      if (repeated !== undefined) {
        this.#problems.push(describeRepeatedName(source, repeated))
        return {}
      }
      return parsed as Record<string, unknown>
    } catch (error) {
      this.#problems.push(`${source} is not valid JSON: ${(error as Error).message}`)
      return {}
    }
  }
}

/** Returns the problem of a repeated name, naming the symbol or the field that `path` (from findDuplicateKey) points to. */
function describeRepeatedName(source: string, path: string[]): string {
  const [symbol, field] = path.map((name) => JSON.stringify(name))
  if (path.length === 1) return `${source} lists instrument ${symbol} twice: list each symbol once`
  if (path.length === 2) return `${source}: instrument ${symbol} sets ${field} twice: set each field once`
  return `${source}: instrument ${symbol} repeats the name ${JSON.stringify(path.at(-1))}`
}
