/**
 * The trades_by_order table: every trade is stored twice, once under each
 * order it filled. Key layout:
 *
 *   PK  orderId (S)  the maker's or the taker's order id
 *   SK  tradeId (S)  `${symbol}:${offset}:${fill index}`
 *   role (S)         'maker' or 'taker': which side of the trade orderId was
 *
 * Trades are immutable and their keys deterministic, so unconditional
 * BatchWriteItem puts are idempotent.
 */

import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { requestOptions, type StoreContext } from './client.ts'
import { backoffDelayMs, sleep, withRetry } from './retry.ts'
import type { TableDefinition } from './tables.ts'
import type { TradeRecord } from './types.ts'

/** BatchWriteItem accepts at most 25 put or delete requests. */
export const BATCH_WRITE_MAX_ITEMS = 25

type Item = Record<string, unknown>

function fillIndex(tradeId: string): number {
  return Number(tradeId.slice(tradeId.lastIndexOf(':') + 1))
}

export class TradesRepository {
  #context: StoreContext
  #tableName: string

  constructor(context: StoreContext, tableName: string) {
    this.#context = context
    this.#tableName = tableName
  }

  definition(): TableDefinition {
    return {
      TableName: this.#tableName,
      KeySchema: [
        { AttributeName: 'orderId', KeyType: 'HASH' },
        { AttributeName: 'tradeId', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'orderId', AttributeType: 'S' },
        { AttributeName: 'tradeId', AttributeType: 'S' },
      ],
    }
  }

  /**
   * Splits the trades into BatchWriteItem requests of at most 25 items: the
   * maker and the taker copy of each trade, each key once (BatchWriteItem
   * rejects a request that names a key twice).
   */
  batches(trades: readonly TradeRecord[]): Item[][] {
    const items = new Map<string, Item>()
    for (const trade of trades) {
      const maker = { ...trade, orderId: trade.makerOrderId, role: 'maker' }
      const taker = { ...trade, orderId: trade.takerOrderId, role: 'taker' }
      items.set(`${maker.orderId}\u0000${trade.tradeId}`, maker)
      items.set(`${taker.orderId}\u0000${trade.tradeId}`, taker)
    }

    const all = [...items.values()]
    const batches: Item[][] = []
    for (let start = 0; start < all.length; start += BATCH_WRITE_MAX_ITEMS) {
      batches.push(all.slice(start, start + BATCH_WRITE_MAX_ITEMS))
    }
    return batches
  }

  /**
   * Writes one batch from batches(). Unprocessed items are sent again with
   * backoff, and after context.persistRetry.maxAttempts rounds the call
   * rejects.
   */
  async writeBatch(batch: Item[], ids: Record<string, unknown>): Promise<void> {
    const policy = this.#context.persistRetry
    const logger = this.#context.logger
    let pending = batch

    for (let round = 1; ; round++) {
      const input = { RequestItems: { [this.#tableName]: pending.map((Item) => ({ PutRequest: { Item } })) } }
      const output = await withRetry(
        () => this.#context.doc.send(new BatchWriteCommand(input), requestOptions(this.#context)),
        policy,
        logger,
        { ...ids, table: this.#tableName },
      )

      const unprocessed = output.UnprocessedItems?.[this.#tableName] ?? []
      if (unprocessed.length === 0) return

      if (round >= policy.maxAttempts) {
        throw new Error(
          `BatchWriteItem left ${unprocessed.length} trade items unprocessed after ${round} rounds ` +
            `on table ${this.#tableName}`,
        )
      }

      const delayMs = backoffDelayMs(policy, round)
      logger.warn(
        { ...ids, table: this.#tableName, unprocessed: unprocessed.length, round, delayMs },
        'BatchWriteItem left items unprocessed, retrying them',
      )
      await sleep(delayMs)
      pending = unprocessed.map((request) => request.PutRequest!.Item!)
    }
  }

  /** Returns the trades of one order, oldest first. */
  async byOrder(orderId: string): Promise<TradeRecord[]> {
    const trades: TradeRecord[] = []
    let startKey: Item | undefined

    do {
      const input = {
        TableName: this.#tableName,
        KeyConditionExpression: '#orderId = :orderId',
        ExpressionAttributeNames: { '#orderId': 'orderId' },
        ExpressionAttributeValues: { ':orderId': orderId },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }
      const output = await withRetry(
        () => this.#context.doc.send(new QueryCommand(input), requestOptions(this.#context)),
        this.#context.requestRetry,
        this.#context.logger,
        { table: this.#tableName, orderId },
      )

      for (const item of output.Items ?? []) {
        const { orderId: _orderId, role: _role, ...trade } = item
        trades.push(trade as TradeRecord)
      }
      startKey = output.LastEvaluatedKey
    } while (startKey !== undefined)

    // tradeId sorts as text, so "…:10" would come before "…:9".
    return trades.sort((a, b) => a.version - b.version || fillIndex(a.tradeId) - fillIndex(b.tradeId))
  }
}
