/**
 * The Store on DynamoDB (or dynalite): composes one repository per table and
 * runs persist() as version-guarded writes with bounded concurrency.
 */

import { DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import type { Logger } from 'pino'
import type { Side } from '../log/commands.ts'
import { createDocumentClient, requestOptions, type StoreContext } from './client.ts'
import { DynamoHttpClient } from './dynamo-http.ts'
import { emptyRequestCounts, type StoreRequestCounts } from './request-counts.ts'
import { chunkRequests, writeChunk, type BatchRequest } from './batch-writer.ts'
import { forEachConcurrent } from './concurrency.ts'
import { DeadLettersRepository } from './dead-letters-repository.ts'
import { LevelsRepository } from './levels-repository.ts'
import { OrderBookRepository } from './order-book-repository.ts'
import { FINAL_STATUSES, OrdersRepository } from './orders-repository.ts'
import { PartitionLeasesRepository } from './partition-leases-repository.ts'
import { withRetry, type RetryPolicy } from './retry.ts'
import { SnapshotsRepository } from './snapshots-repository.ts'
import { ensureTables } from './tables.ts'
import { TradesRepository } from './trades-repository.ts'
import type {
  BookLevels,
  DeadLetter,
  OrderFilter,
  OrderPage,
  OrderRecord,
  PartitionEffects,
  PartitionLease,
  RestingOrderRecord,
  Snapshot,
  Store,
  TradeRecord,
} from './types.ts'

export interface TableNames {
  orders: string
  orderBook: string
  trades: string
  levels: string
  snapshots: string
  deadLetters: string
}

export const DEFAULT_TABLE_NAMES: TableNames = {
  orders: 'orders',
  orderBook: 'order_book',
  trades: 'trades_by_order',
  levels: 'book_levels',
  snapshots: 'engine_snapshots',
  deadLetters: 'dead_letters',
}

export interface DynamoStoreOptions {
  /** AWS region; the SDK's default chain when absent. */
  region?: string
  /** dynalite or DynamoDB Local; the regional AWS endpoint when absent. */
  endpoint?: string
  tables?: Partial<TableNames>
  /** Upper bound on one request, in ms; ping() uses a single request. */
  requestTimeoutMs: number
  logger: Logger
  /** Retries of the engine's writes; the defaults give up after about 5 s of backoff. */
  persistRetry?: Partial<RetryPolicy>
  /** Retries of the API's reads and writes. */
  requestRetry?: Partial<RetryPolicy>
  /** Conditional writes of one persist() in flight at once. */
  persistConcurrency?: number
  /** How long ensureTables() waits for new tables to become ACTIVE, in ms. */
  tableActiveTimeoutMs?: number
}

const DEFAULT_PERSIST_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2000 }
const DEFAULT_REQUEST_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 25, maxDelayMs: 250 }
const DEFAULT_PERSIST_CONCURRENCY = 24
/**
 * Keep-alive connections of the persist path. The engine persists each of
 * its partitions' batches at once, persistConcurrency requests each.
 */
const PERSIST_MAX_SOCKETS = 64
const DEFAULT_TABLE_ACTIVE_TIMEOUT_MS = 300_000

/** Largest `depth` of bookLevels(); it is the Limit of one Query per side. */
export const MAX_BOOK_DEPTH = 1000

export function createDynamoStore(options: DynamoStoreOptions): Store {
  return new DynamoStore(options)
}

class DynamoStore implements Store {
  #context: StoreContext
  #destroyClient: () => void
  #tables: TableNames
  #persistConcurrency: number
  #tableActiveTimeoutMs: number
  #requestCounts: StoreRequestCounts

  #orders: OrdersRepository
  #orderBook: OrderBookRepository
  #trades: TradesRepository
  #levels: LevelsRepository
  #snapshots: SnapshotsRepository
  #deadLetters: DeadLettersRepository
  #leases: PartitionLeasesRepository

  constructor(options: DynamoStoreOptions) {
    this.#requestCounts = emptyRequestCounts()
    const { client, doc } = createDocumentClient({ ...options, counts: this.#requestCounts })
    const http = new DynamoHttpClient({
      client,
      endpoint: options.endpoint,
      requestTimeoutMs: options.requestTimeoutMs,
      maxSockets: PERSIST_MAX_SOCKETS,
      counts: this.#requestCounts,
    })
    this.#destroyClient = () => {
      http.destroy()
      client.destroy()
    }
    this.#tables = { ...DEFAULT_TABLE_NAMES, ...options.tables }
    this.#persistConcurrency = options.persistConcurrency ?? DEFAULT_PERSIST_CONCURRENCY
    this.#tableActiveTimeoutMs = options.tableActiveTimeoutMs ?? DEFAULT_TABLE_ACTIVE_TIMEOUT_MS

    this.#context = {
      http,
      doc,
      logger: options.logger,
      requestTimeoutMs: options.requestTimeoutMs,
      persistRetry: { ...DEFAULT_PERSIST_RETRY, ...options.persistRetry },
      requestRetry: { ...DEFAULT_REQUEST_RETRY, ...options.requestRetry },
    }

    this.#orders = new OrdersRepository(this.#context, this.#tables.orders)
    this.#orderBook = new OrderBookRepository(this.#context, this.#tables.orderBook)
    this.#trades = new TradesRepository(this.#context, this.#tables.trades)
    this.#levels = new LevelsRepository(this.#context, this.#tables.levels)
    this.#snapshots = new SnapshotsRepository(this.#context, this.#tables.snapshots)
    this.#deadLetters = new DeadLettersRepository(this.#context, this.#tables.deadLetters)
    this.#leases = new PartitionLeasesRepository(this.#context, this.#tables.snapshots)

    const endpoint = options.endpoint ?? 'default AWS endpoint'
    options.logger.info({ endpoint, region: options.region, tables: this.#tables }, 'DynamoDB store created')
  }

  async ensureTables(): Promise<void> {
    const definitions = [
      this.#orders.definition(),
      this.#orderBook.definition(),
      this.#trades.definition(),
      this.#levels.definition(),
      this.#snapshots.definition(),
      this.#deadLetters.definition(),
    ]
    await ensureTables(this.#context.doc, definitions, this.#tableActiveTimeoutMs, this.#context.logger)
    this.#context.logger.info({ tables: this.#tables }, 'tables are ACTIVE')
  }

  /** Sends one DescribeTable without retries. A missing table still proves the store reachable. */
  async ping(): Promise<void> {
    try {
      const command = new DescribeTableCommand({ TableName: this.#tables.orders })
      await this.#context.doc.send(command, requestOptions(this.#context))
    } catch (error) {
      if ((error as { name?: unknown }).name !== 'ResourceNotFoundException') throw error
    }
  }

  putAcceptedOrder(order: OrderRecord): Promise<void> {
    return this.#orders.putAccepted(order)
  }

  getOrder(id: string): Promise<OrderRecord | null> {
    return this.#orders.get(id)
  }

  listOrders(filter: OrderFilter, limit: number, cursor?: string): Promise<OrderPage> {
    return this.#orders.list(filter, limit, cursor)
  }

  tradesByOrder(orderId: string): Promise<TradeRecord[]> {
    return this.#trades.byOrder(orderId)
  }

  async bookLevels(symbol: string, depth: number): Promise<BookLevels> {
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_BOOK_DEPTH) {
      throw new RangeError(`depth must be an integer from 1 to ${MAX_BOOK_DEPTH} (got ${depth})`)
    }

    const [bids, asks] = await Promise.all([
      this.#levels.top(symbol, 'buy', depth),
      this.#levels.top(symbol, 'sell', depth),
    ])
    return { symbol, bids, asks }
  }

  restingOrders(symbol: string, side: Side): Promise<RestingOrderRecord[]> {
    return this.#orderBook.list(symbol, side)
  }

  /**
   * Writes every item of the batch. Orders that are still live, resting
   * orders and levels go as conditional writes that skip items stored at a
   * higher version. Writes that can never take an item back go as
   * BatchWriteItem requests of 25. These are trades, which are immutable and
   * keyed by a deterministic id, orders in a final status, whose state is
   * their last version, and deletes of resting-order keys, since an order
   * never returns to a key it left.
   * Rejects once one write fails after its retries. The caller then persists
   * the whole batch again, which is safe because every write is idempotent.
   *
   * NOTE: a delete leaves no version behind, so an older put persisted after
   * it recreates the item. The engine avoids that by persisting the batches
   * of one partition in offset order and by replaying a partly persisted
   * batch with the same bounds (see PartitionLease). A stalled former owner
   * that finishes a batch after the next owner deleted one of its items is
   * the remaining case.
   */
  async persist(effects: PartitionEffects): Promise<void> {
    const ids = { partition: effects.partition, offset: effects.lastOffset }
    const policy = this.#context.persistRetry
    const logger = this.#context.logger
    const writes: (() => Promise<unknown>)[] = []
    const batched: BatchRequest[] = this.#trades.batchRequests(effects.trades)

    for (const order of effects.orders) {
      if (FINAL_STATUSES.has(order.status)) {
        batched.push(this.#orders.batchPutFinal(order))
        continue
      }
      const writeIds = { ...ids, table: this.#tables.orders, orderId: order.id }
      writes.push(() => withRetry(() => this.#orders.putVersioned(order), policy, logger, writeIds))
    }
    for (const record of effects.restingPuts) {
      const writeIds = { ...ids, table: this.#tables.orderBook, orderId: record.orderId }
      writes.push(() => withRetry(() => this.#orderBook.putVersioned(record), policy, logger, writeIds))
    }
    for (const key of effects.restingDeletes) {
      batched.push(this.#orderBook.batchDelete(key))
    }
    for (const level of effects.levels) {
      const writeIds = { ...ids, table: this.#tables.levels, symbol: level.symbol, priceTicks: level.priceTicks }
      writes.push(() => withRetry(() => this.#levels.writeVersioned(level), policy, logger, writeIds))
    }
    for (const chunk of chunkRequests(batched)) {
      writes.push(() => writeChunk(this.#context, chunk, ids))
    }

    await forEachConcurrent(writes, this.#persistConcurrency, (write) => write().then(() => undefined))
  }

  acquirePartition(partition: number): Promise<PartitionLease> {
    return this.#leases.acquire(partition)
  }

  beginBatch(partition: number, epoch: number, fromOffset: number, toOffset: number): Promise<boolean> {
    return this.#leases.beginBatch(partition, epoch, fromOffset, toOffset)
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.#snapshots.save(snapshot)
  }

  loadSnapshot(partition: number): Promise<Snapshot | null> {
    return this.#snapshots.load(partition)
  }

  putDeadLetter(letter: DeadLetter): Promise<void> {
    return this.#deadLetters.put(letter)
  }

  listDeadLetters(partition: number): Promise<DeadLetter[]> {
    return this.#deadLetters.list(partition)
  }

  async close(): Promise<void> {
    this.#destroyClient()
    this.#context.logger.info({ sent: this.#requestCounts }, 'store closed')
  }
}
