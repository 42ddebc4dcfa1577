/**
 * Partition leases, one item per partition in the engine_snapshots table
 * under chunkKey 'lease' (snapshot chunks use digit keys and the head uses
 * 'head', so neither Query of the snapshots repository reads it):
 *
 *   epoch       (N)  raised by every engine instance that takes the
 *                    partition; the fencing token of its writes
 *   fromOffset  (N)  every command before it has all its effects persisted
 *   toOffset    (N)  last command of the batch being persisted; the effects
 *                    of fromOffset..toOffset may be partly persisted
 *
 * An engine records the batch it is about to persist with a write that only
 * applies while the epoch is still its own, so an instance that lost the
 * partition cannot start a new batch once the next owner took the lease.
 */

import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { isConditionalCheckFailed, requestOptions, type StoreContext } from './client.ts'
import type { PartitionLease } from './types.ts'

const LEASE_KEY = 'lease'

export class PartitionLeasesRepository {
  #context: StoreContext
  #tableName: string

  constructor(context: StoreContext, tableName: string) {
    this.#context = context
    this.#tableName = tableName
  }

  /**
   * Takes the partition with the next epoch and returns the lease. Retries
   * a lost race with another instance; one request per step otherwise, so
   * the caller owns the retries of store errors.
   */
  async acquire(partition: number): Promise<PartitionLease> {
    for (;;) {
      const current = await this.#read(partition)
      const epoch = (current?.epoch ?? 0) + 1
      const lease: PartitionLease = {
        partition,
        epoch,
        fromOffset: current?.fromOffset ?? 0,
        toOffset: current?.toOffset ?? -1,
      }

      const input = {
        TableName: this.#tableName,
        Item: { chunkKey: LEASE_KEY, ...lease },
        ConditionExpression: current === null ? 'attribute_not_exists(#epoch)' : '#epoch = :previous',
        ExpressionAttributeNames: { '#epoch': 'epoch' },
        ExpressionAttributeValues: current === null ? undefined : { ':previous': current.epoch },
      }
      try {
        await this.#context.doc.send(new PutCommand(input), requestOptions(this.#context))
        return lease
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error
        this.#context.logger.info({ partition, epoch }, 'partition lease taken concurrently; reading it again')
      }
    }
  }

  /**
   * Records that the batch fromOffset..toOffset is about to be persisted.
   * Returns false when another instance holds a later epoch, that is when
   * this instance no longer owns the partition. One request.
   */
  async beginBatch(partition: number, epoch: number, fromOffset: number, toOffset: number): Promise<boolean> {
    const input = {
      TableName: this.#tableName,
      Key: { partition, chunkKey: LEASE_KEY },
      UpdateExpression: 'SET #fromOffset = :from, #toOffset = :to',
      ConditionExpression: '#epoch = :epoch',
      ExpressionAttributeNames: { '#epoch': 'epoch', '#fromOffset': 'fromOffset', '#toOffset': 'toOffset' },
      ExpressionAttributeValues: { ':epoch': epoch, ':from': fromOffset, ':to': toOffset },
    }

    try {
      await this.#context.doc.send(new UpdateCommand(input), requestOptions(this.#context))
      return true
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false
      throw error
    }
  }

  async #read(partition: number): Promise<PartitionLease | null> {
    const input = { TableName: this.#tableName, Key: { partition, chunkKey: LEASE_KEY }, ConsistentRead: true }
    const output = await this.#context.doc.send(new GetCommand(input), requestOptions(this.#context))
    if (output.Item === undefined) return null

    const item = output.Item
    return {
      partition,
      epoch: item.epoch as number,
      fromOffset: item.fromOffset as number,
      toOffset: item.toOffset as number,
    }
  }
}
