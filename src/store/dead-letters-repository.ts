/**
 * The dead_letters table: command log records the engine could not decode
 * or apply. Key layout:
 *
 *   PK  partition (N)
 *   SK  offset (N)
 *
 * A record has one offset, so writing it again replaces it with the same
 * letter and the put needs no condition.
 */

import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { requestOptions, type StoreContext } from './client.ts'
import { withRetry } from './retry.ts'
import type { TableDefinition } from './tables.ts'
import type { DeadLetter } from './types.ts'

export class DeadLettersRepository {
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
        { AttributeName: 'partition', KeyType: 'HASH' },
        { AttributeName: 'offset', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'partition', AttributeType: 'N' },
        { AttributeName: 'offset', AttributeType: 'N' },
      ],
    }
  }

  async put(letter: DeadLetter): Promise<void> {
    const input = { TableName: this.#tableName, Item: { ...letter } }
    await withRetry(
      () => this.#context.doc.send(new PutCommand(input), requestOptions(this.#context)),
      this.#context.persistRetry,
      this.#context.logger,
      { table: this.#tableName, partition: letter.partition, offset: letter.offset },
    )
  }

  /** Returns the partition's dead letters in offset order. */
  async list(partition: number): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = []
    let startKey: Record<string, unknown> | undefined

    do {
      const input = {
        TableName: this.#tableName,
        KeyConditionExpression: '#partition = :partition',
        ExpressionAttributeNames: { '#partition': 'partition' },
        ExpressionAttributeValues: { ':partition': partition },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }
      const output = await withRetry(
        () => this.#context.doc.send(new QueryCommand(input), requestOptions(this.#context)),
        this.#context.requestRetry,
        this.#context.logger,
        { table: this.#tableName, partition },
      )
      letters.push(...((output.Items ?? []) as DeadLetter[]))
      startKey = output.LastEvaluatedKey
    } while (startKey !== undefined)

    return letters
  }
}
