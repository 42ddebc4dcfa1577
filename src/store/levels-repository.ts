/**
 * The book_levels table: the aggregate quantity and order count of each
 * price level. Key layout:
 *
 *   PK  symbol (S)
 *   SK  levelKey (S)  side letter and price key as book-keys.ts encodes
 *                     them, so that a Query on one side returns it best
 *                     price first
 *
 * A level with orderCount 0 is deleted rather than stored. Puts and deletes
 * only apply when the stored version is lower or equal.
 */

import { QueryCommand } from '@aws-sdk/lib-dynamodb'
import type { Side } from '../log/commands.ts'
import { marshallFlat } from './attribute-values.ts'
import { levelKey, sideLetter } from './book-keys.ts'
import { isConditionalCheckFailed, requestOptions, versionGuard, type StoreContext } from './client.ts'
import { withRetry } from './retry.ts'
import type { TableDefinition } from './tables.ts'
import type { LevelRecord } from './types.ts'

export class LevelsRepository {
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
        { AttributeName: 'levelKey', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'symbol', AttributeType: 'S' },
        { AttributeName: 'levelKey', AttributeType: 'S' },
      ],
    }
  }

  /**
   * Writes the level, or deletes it when orderCount is 0, unless a newer copy
   * is stored. A level that is already gone counts as deleted. One try.
   */
  async writeVersioned(level: LevelRecord): Promise<void> {
    const key = levelKey(level.side, level.priceTicks)
    const guard = { TableName: this.#tableName, ...versionGuard(level.version) }

    try {
      if (level.orderCount === 0) {
        const input = { ...guard, Key: { symbol: { S: level.symbol }, levelKey: { S: key } } }
        await this.#context.http.send('DeleteItem', input, requestOptions(this.#context).abortSignal)
      } else {
        const input = { ...guard, Item: marshallFlat({ ...level, levelKey: key }) }
        await this.#context.http.send('PutItem', input, requestOptions(this.#context).abortSignal)
      }
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error
    }
  }

  /** Returns up to `depth` levels of one side, best price first. */
  async top(symbol: string, side: Side, depth: number): Promise<LevelRecord[]> {
    const input = {
      TableName: this.#tableName,
      KeyConditionExpression: '#symbol = :symbol AND begins_with(#levelKey, :side)',
      ExpressionAttributeNames: { '#symbol': 'symbol', '#levelKey': 'levelKey' },
      ExpressionAttributeValues: { ':symbol': symbol, ':side': sideLetter(side) },
      ConsistentRead: true,
      Limit: depth,
    }
    const output = await withRetry(
      () => this.#context.doc.send(new QueryCommand(input), requestOptions(this.#context)),
      this.#context.requestRetry,
      this.#context.logger,
      { table: this.#tableName, symbol, side },
    )

    return (output.Items ?? []).map((item) => {
      const { levelKey: _levelKey, ...level } = item
      return level as LevelRecord
    })
  }
}
