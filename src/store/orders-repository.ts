/**
 * The orders table. Key layout:
 *
 *   PK  id (S)
 *   sortKey (S)    `${timestamp as ISO 8601 UTC with ms}#${id}`, unique and
 *                  ordered by acceptance time
 *   listShard (N)  FNV-1a of the id mod ORDER_LIST_SHARDS
 *
 * Global secondary indexes, all projecting every attribute and all with
 * sort key sortKey, so that a Query with ScanIndexForward=false lists newest
 * first:
 *
 *   by_client  PK clientId
 *   by_symbol  PK symbol
 *   by_status  PK status
 *   by_shard   PK listShard: every order, spread over ORDER_LIST_SHARDS
 *              partition keys so that all order writes do not land on one
 *              key. A listing merges the shards.
 *
 * A write only replaces an item whose version is lower or equal, so a stored
 * order never goes back to an older state.
 */

import { GetCommand, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb'
import { marshallFlat } from './attribute-values.ts'
import type { BatchRequest } from './batch-writer.ts'
import { isConditionalCheckFailed, requestOptions, versionGuard, type StoreContext } from './client.ts'
import { decodeCursor, encodeCursor } from './order-cursor.ts'
import { withRetry } from './retry.ts'
import type { TableDefinition } from './tables.ts'
import type { OrderFilter, OrderPage, OrderRecord, OrderStatus } from './types.ts'

/** Fixed for the life of a table: changing it would hide orders from by_shard. */
export const ORDER_LIST_SHARDS = 8

export const MAX_LIST_LIMIT = 1000

// Largest Limit of one Query page. DynamoDB also ends a page at 1 MB.
const MAX_PAGE_ITEMS = 1000

type Item = Record<string, unknown>

/** Statuses after which the engine never changes an order again. */
export const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['filled', 'cancelled', 'rejected'])

interface IndexPlan {
  index: string
  partitionAttribute: string
  partitionValues: (string | number)[]
  /** FilterExpression for the filter fields the index key does not cover. */
  filterExpression?: string
  names: Record<string, string>
  values: Record<string, unknown>
}

/** 32-bit FNV-1a over the UTF-16 code units of the id. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

export function orderSortKey(order: Pick<OrderRecord, 'timestamp' | 'id'>): string {
  const time = new Date(order.timestamp)
  if (Number.isNaN(time.getTime())) {
    throw new RangeError(`order ${order.id} has an invalid timestamp ${JSON.stringify(order.timestamp)}`)
  }
  return `${time.toISOString()}#${order.id}`
}

export function orderListShard(id: string): number {
  return fnv1a(id) % ORDER_LIST_SHARDS
}

function toItem(order: OrderRecord): Item {
  return { ...order, sortKey: orderSortKey(order), listShard: orderListShard(order.id) }
}

function toRecord(item: Item): OrderRecord {
  const { sortKey: _sortKey, listShard: _listShard, ...order } = item
  return order as unknown as OrderRecord
}

/**
 * Picks the most selective index for the filter (clientId, then symbol, then
 * status, then all orders) and turns the other fields into a FilterExpression.
 */
function planQuery(filter: OrderFilter): IndexPlan {
  const names: Record<string, string> = {}
  const values: Record<string, unknown> = {}
  const conditions: string[] = []

  const addCondition = (field: keyof OrderFilter, value: unknown) => {
    names[`#${field}`] = field
    values[`:${field}`] = value
    conditions.push(`#${field} = :${field}`)
  }

  let plan: Pick<IndexPlan, 'index' | 'partitionAttribute' | 'partitionValues'>
  if (filter.clientId !== undefined) {
    plan = { index: 'by_client', partitionAttribute: 'clientId', partitionValues: [filter.clientId] }
  } else if (filter.symbol !== undefined) {
    plan = { index: 'by_symbol', partitionAttribute: 'symbol', partitionValues: [filter.symbol] }
  } else if (filter.status !== undefined) {
    plan = { index: 'by_status', partitionAttribute: 'status', partitionValues: [filter.status] }
  } else {
    const shards = Array.from({ length: ORDER_LIST_SHARDS }, (_, shard) => shard)
    plan = { index: 'by_shard', partitionAttribute: 'listShard', partitionValues: shards }
  }

  // NOTE: `matched` alone filters every order of by_shard, so a page with
  // few matches reads far more items than it returns.
  if (filter.symbol !== undefined && plan.partitionAttribute !== 'symbol') addCondition('symbol', filter.symbol)
  if (filter.status !== undefined && plan.partitionAttribute !== 'status') addCondition('status', filter.status)
  if (filter.matched !== undefined) addCondition('matched', filter.matched)

  const filterExpression = conditions.length > 0 ? conditions.join(' AND ') : undefined
  return { ...plan, filterExpression, names, values }
}

/**
 * One partition key of an index, read newest first page by page as the merge
 * needs items. Pages start small and double, because a FilterExpression may
 * drop any share of the items a page reads.
 */
class PartitionReader {
  #context: StoreContext
  #input: QueryCommandInput
  #pageLimit: number
  #buffer: Item[] = []
  #startKey: Item | undefined
  #done = false

  constructor(context: StoreContext, input: QueryCommandInput, firstPageLimit: number) {
    this.#context = context
    this.#input = input
    this.#pageLimit = firstPageLimit
  }

  /** Returns the next item without taking it; undefined at the end. */
  async peek(): Promise<Item | undefined> {
    while (this.#buffer.length === 0 && !this.#done) await this.#readPage()
    return this.#buffer[0]
  }

  take(): Item | undefined {
    return this.#buffer.shift()
  }

  async #readPage(): Promise<void> {
    const input: QueryCommandInput = { ...this.#input, Limit: this.#pageLimit, ExclusiveStartKey: this.#startKey }
    const output = await withRetry(
      () => this.#context.doc.send(new QueryCommand(input), requestOptions(this.#context)),
      this.#context.requestRetry,
      this.#context.logger,
      { table: input.TableName, index: input.IndexName },
    )

    this.#buffer.push(...(output.Items ?? []))
    this.#startKey = output.LastEvaluatedKey
    this.#done = output.LastEvaluatedKey === undefined
    this.#pageLimit = Math.min(this.#pageLimit * 2, MAX_PAGE_ITEMS)
  }
}

export class OrdersRepository {
  #context: StoreContext
  #tableName: string

  constructor(context: StoreContext, tableName: string) {
    this.#context = context
    this.#tableName = tableName
  }

  definition(): TableDefinition {
    const index = (name: string, partitionAttribute: string) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: partitionAttribute, KeyType: 'HASH' as const },
        { AttributeName: 'sortKey', KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })

    return {
      TableName: this.#tableName,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'sortKey', AttributeType: 'S' },
        { AttributeName: 'clientId', AttributeType: 'S' },
        { AttributeName: 'symbol', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'listShard', AttributeType: 'N' },
      ],
      GlobalSecondaryIndexes: [
        index('by_client', 'clientId'),
        index('by_symbol', 'symbol'),
        index('by_status', 'status'),
        index('by_shard', 'listShard'),
      ],
    }
  }

  /** Writes the acceptance copy unless any copy of the order exists. */
  async putAccepted(order: OrderRecord): Promise<void> {
    const input = {
      TableName: this.#tableName,
      Item: toItem(order),
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': 'id' },
    }

    try {
      await withRetry(
        () => this.#context.doc.send(new PutCommand(input), requestOptions(this.#context)),
        this.#context.requestRetry,
        this.#context.logger,
        { table: this.#tableName, orderId: order.id },
      )
    } catch (error) {
      // The engine's copy, or this copy from an earlier attempt, is already there.
      if (!isConditionalCheckFailed(error)) throw error
    }
  }

  /**
   * Returns the unconditional BatchWriteItem put of an order in a final
   * status. Nothing changes such an order later, so its last state is the
   * highest version and writing it can never take the item back.
   */
  batchPutFinal(order: OrderRecord): BatchRequest {
    if (!FINAL_STATUSES.has(order.status)) {
      throw new RangeError(`order ${order.id} is ${order.status}, not final; write it with putVersioned`)
    }
    return { table: this.#tableName, PutRequest: { Item: marshallFlat(toItem(order)) } }
  }

  /**
   * Writes the order unless the stored copy has a higher version. Returns
   * false when the stored copy was newer. Sends one request and leaves
   * retries to the caller.
   */
  async putVersioned(order: OrderRecord): Promise<boolean> {
    const input = {
      TableName: this.#tableName,
      Item: marshallFlat(toItem(order)),
      ...versionGuard(order.version),
    }

    try {
      await this.#context.http.send('PutItem', input, requestOptions(this.#context).abortSignal)
      return true
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false
      throw error
    }
  }

  async get(id: string): Promise<OrderRecord | null> {
    const output = await withRetry(
      () =>
        this.#context.doc.send(
          new GetCommand({ TableName: this.#tableName, Key: { id }, ConsistentRead: true }),
          requestOptions(this.#context),
        ),
      this.#context.requestRetry,
      this.#context.logger,
      { table: this.#tableName, orderId: id },
    )
    return output.Item === undefined ? null : toRecord(output.Item)
  }

  /**
   * Lists orders newest first, never with a Scan. Reads the chosen index's
   * partition keys (eight for an unfiltered listing) and merges them by
   * sortKey until limit + 1 orders are found. The extra order is not
   * returned and only decides whether nextCursor is set. Index reads are
   * eventually consistent.
   */
  async list(filter: OrderFilter, limit: number, cursor?: string): Promise<OrderPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new RangeError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})`)
    }

    const plan = planQuery(filter)
    const after = cursor === undefined ? undefined : decodeCursor(cursor, plan.index, filter)

    const firstPageLimit = Math.ceil((limit + 1) / plan.partitionValues.length) + 1
    const readers = plan.partitionValues.map((partitionValue) => {
      let keyCondition = '#partition = :partition'
      if (after !== undefined) keyCondition += ' AND #sortKey < :after'

      const input: QueryCommandInput = {
        TableName: this.#tableName,
        IndexName: plan.index,
        KeyConditionExpression: keyCondition,
        FilterExpression: plan.filterExpression,
        ExpressionAttributeNames: {
          ...plan.names,
          '#partition': plan.partitionAttribute,
          ...(after === undefined ? {} : { '#sortKey': 'sortKey' }),
        },
        ExpressionAttributeValues: {
          ...plan.values,
          ':partition': partitionValue,
          ...(after === undefined ? {} : { ':after': after }),
        },
        ScanIndexForward: false,
      }
      return new PartitionReader(this.#context, input, firstPageLimit)
    })

    const found: Item[] = []
    while (found.length <= limit) {
      const heads = await Promise.all(readers.map((reader) => reader.peek()))

      let newest = -1
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i]
        if (head === undefined) continue
        if (newest === -1 || (head.sortKey as string) > (heads[newest]!.sortKey as string)) newest = i
      }
      if (newest === -1) break

      found.push(readers[newest].take()!)
    }

    const items = found.slice(0, limit)
    const page: OrderPage = { items: items.map(toRecord) }
    if (found.length > limit) page.nextCursor = encodeCursor(plan.index, filter, items[limit - 1].sortKey as string)
    return page
  }
}
