/**
 * The order_book table: one item per resting order. Key layout:
 *
 *   PK  symbol (S)
 *   SK  bookKey (S)  side letter, price key, prioritySeq and orderId as
 *                    book-keys.ts encodes them, so that a Query on one side
 *                    returns it in price-time order, best price first
 *
 * Puts and deletes only apply when the stored version is lower or equal.
 */

import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import type { Side } from '../log/commands.ts'
import { marshallFlat } from './attribute-values.ts'
import { restingOrderKey, sideLetter } from './book-keys.ts'
import type { BatchRequest } from './batch-writer.ts'
import { isConditionalCheckFailed, requestOptions, VERSION_GUARD, versionGuard, type StoreContext } from './client.ts'
import { withRetry } from './retry.ts'
import type { TableDefinition } from './tables.ts'
import type { RestingOrderKey, RestingOrderRecord } from './types.ts'

function bookKeyOf(key: Omit<RestingOrderKey, 'symbol' | 'version'>): string {
  return restingOrderKey(key.side, key.priceTicks, key.prioritySeq, key.orderId)
}

export class OrderBookRepository {
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
        { AttributeName: 'symbol', KeyType: 'HASH' },
        { AttributeName: 'bookKey', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'symbol', AttributeType: 'S' },
        { AttributeName: 'bookKey', AttributeType: 'S' },
      ],
    }
  }

  /** Writes the resting order unless a newer copy is stored; one try. */
  async putVersioned(record: RestingOrderRecord): Promise<void> {
    const input = {
      TableName: this.#tableName,
      Item: marshallFlat({ ...record, bookKey: bookKeyOf(record) }),
      ...versionGuard(record.version),
    }

    try {
      await this.#context.http.send('PutItem', input, requestOptions(this.#context).abortSignal)
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error
    }
  }

  /**
   * Returns the unconditional BatchWriteItem delete of a resting-order key.
   * The key contains the order's price and queue position, and an order leaves
   * a key for good, so no later state of the book writes that key again.
   */
  batchDelete(key: RestingOrderKey): BatchRequest {
    const marshalled = { symbol: { S: key.symbol }, bookKey: { S: bookKeyOf(key) } }
    return { table: this.#tableName, DeleteRequest: { Key: marshalled } }
  }

  /**
   * Deletes the resting order unless a newer copy is stored. An item that is
   * already gone counts as deleted. One try.
   */
  async deleteVersioned(key: RestingOrderKey): Promise<void> {
    const input = {
      TableName: this.#tableName,
      Key: { symbol: key.symbol, bookKey: bookKeyOf(key) },
      ConditionExpression: VERSION_GUARD,
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':version': key.version },
    }

    try {
      await this.#context.doc.send(new DeleteCommand(input), requestOptions(this.#context))
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error
    }
  }

  /** Returns one side of the book in price-time order, best price first. */
  async list(symbol: string, side: Side): Promise<RestingOrderRecord[]> {
    const records: RestingOrderRecord[] = []
    let startKey: Record<string, unknown> | undefined

    do {
      const input = {
        TableName: this.#tableName,
        KeyConditionExpression: '#symbol = :symbol AND begins_with(#bookKey, :side)',
        ExpressionAttributeNames: { '#symbol': 'symbol', '#bookKey': 'bookKey' },
        ExpressionAttributeValues: { ':symbol': symbol, ':side': sideLetter(side) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }
      const output = await withRetry(
        () => this.#context.doc.send(new QueryCommand(input), requestOptions(this.#context)),
        this.#context.requestRetry,
        this.#context.logger,
        { table: this.#tableName, symbol, side },
      )

      for (const item of output.Items ?? []) {
        const { bookKey: _bookKey, ...record } = item
        records.push(record as RestingOrderRecord)
      }
      startKey = output.LastEvaluatedKey
    } while (startKey !== undefined)

    return records
  }
}
