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

import { QueryCommand } from '@aws-sdk/lib-dynamodb'

import { marshallFlat } from './attribute-values.ts'
import type { BatchRequest } from './batch-writer.ts'
import { requestOptions, type StoreContext } from './client.ts'
import { withRetry } from './retry.ts'
import type { TableDefinition } from './tables.ts'
import type { TradeRecord } from './types.ts'

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
   * Returns the BatchWriteItem puts of the trades: the maker and the taker
   * copy of each trade, each key once (BatchWriteItem rejects a request that
   * names a key twice).
   */
  batchRequests(trades: readonly TradeRecord[]): BatchRequest[] {
    const items = new Map<string, Item>()
    for (const trade of trades) {
      const maker = { ...trade, orderId: trade.makerOrderId, role: 'maker' }
      const taker = { ...trade, orderId: trade.takerOrderId, role: 'taker' }
      items.set(`${maker.orderId}\u0000${trade.tradeId}`, maker)
      items.set(`${taker.orderId}\u0000${trade.tradeId}`, taker)
    }

    return [...items.values()].map((item) => ({ table: this.#tableName, PutRequest: { Item: marshallFlat(item) } }))
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
