/**
 * The engine_snapshots table. A snapshot body may exceed the 400 KB item
 * limit, so it is stored as chunks plus a head item. Key layout:
 *
 *   PK  partition (N)
 *   SK  chunkKey (S)  `${offset, 20 digits}#${chunk index, 6 digits}` for a
 *                     chunk of at most CHUNK_BYTES bytes of the UTF-8 body,
 *                     in the binary attribute data. 'head' for the head
 *                     item, which names the offset, chunk count, byte
 *                     length, SHA-256 and encoding of the latest complete
 *                     snapshot.
 *
 * The stored bytes are the body compressed with gzip (encoding 'gzip'), or
 * the plain UTF-8 body for a head without an encoding, as written before
 * compression. Byte length and SHA-256 are those of the stored bytes.
 *
 * The head is written after every chunk, so a save torn by a crash is never
 * loaded. The chunks of the latest two snapshots are kept: after the head
 * moves, chunks older than the previous head are deleted.
 */

import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { constants as zlibConstants, gunzip, gzip } from 'node:zlib'
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { forEachConcurrent } from './concurrency.ts'
import { isConditionalCheckFailed, requestOptions, type StoreContext } from './client.ts'
import { withRetry } from './retry.ts'
import type { TableDefinition } from './tables.ts'
import type { Snapshot } from './types.ts'

/** 300 KiB of body per item leaves room for the keys under the 400 KB limit. */
export const CHUNK_BYTES = 300 * 1024

const HEAD_KEY = 'head'
const CHUNK_WRITE_CONCURRENCY = 4
const LOAD_ATTEMPTS = 3

const RECOVERY_HINT =
  "Delete the partition's head item to rebuild the engine state from the start of the command log."

interface Head {
  offset: number
  chunkCount: number
  byteLength: number
  sha256: string
  /** Absent for a snapshot stored uncompressed. */
  encoding?: 'gzip'
}

const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

// A book snapshot is JSON with many repeated keys: one of 16.9 MB from the
// backlog drain of bench/service.ts took 3.8 MB at level 1, in about 110 ms.
// DynamoDB bills writes per KB. zlib compresses on the thread pool, off the
// engine's event loop.
const GZIP_OPTIONS = { level: zlibConstants.Z_BEST_SPEED }

function offsetPrefix(offset: number): string {
  return String(offset).padStart(20, '0')
}

function chunkKey(offset: number, index: number): string {
  return `${offsetPrefix(offset)}#${String(index).padStart(6, '0')}`
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex')
}

export class SnapshotsRepository {
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
        { AttributeName: 'chunkKey', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'partition', AttributeType: 'N' },
        { AttributeName: 'chunkKey', AttributeType: 'S' },
      ],
    }
  }

  /**
   * Saves the snapshot unless the stored one is at the same or a later
   * offset. Rejects when a chunk or the head cannot be written. A failed
   * cleanup of old chunks is only logged.
   */
  async save(snapshot: Snapshot): Promise<void> {
    const { partition, offset } = snapshot
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError(`snapshot offset must be a non-negative safe integer (got ${offset})`)
    }

    const ids = { table: this.#tableName, partition, offset }
    const previous = await this.#readHead(partition, this.#context.persistRetry)
    if (previous !== null && previous.offset >= offset) {
      this.#context.logger.info({ ...ids, storedOffset: previous.offset }, 'snapshot not newer than the stored one, skipped')
      return
    }

    const body = await gzipAsync(Buffer.from(snapshot.body, 'utf8'), GZIP_OPTIONS)
    const chunkCount = Math.max(1, Math.ceil(body.length / CHUNK_BYTES))
    const indexes = Array.from({ length: chunkCount }, (_, index) => index)

    await forEachConcurrent(indexes, CHUNK_WRITE_CONCURRENCY, async (index) => {
      const data = body.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES)
      const input = { TableName: this.#tableName, Item: { partition, chunkKey: chunkKey(offset, index), offset, index, data } }
      await this.#retry({ ...ids, chunk: index }, (options) => this.#context.doc.send(new PutCommand(input), options))
    })

    const head: Head = { offset, chunkCount, byteLength: body.length, sha256: sha256(body), encoding: 'gzip' }
    const headInput = {
      TableName: this.#tableName,
      Item: { partition, chunkKey: HEAD_KEY, ...head },
      // Another engine instance may have saved a later snapshot meanwhile.
      ConditionExpression: 'attribute_not_exists(#chunkKey) OR #offset < :offset',
      ExpressionAttributeNames: { '#chunkKey': 'chunkKey', '#offset': 'offset' },
      ExpressionAttributeValues: { ':offset': offset },
    }
    try {
      await this.#retry(ids, (options) => this.#context.doc.send(new PutCommand(headInput), options))
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error
      this.#context.logger.info(ids, 'snapshot head not moved: one at this or a later offset is stored')
      return
    }

    if (previous !== null) {
      try {
        await this.#deleteChunksBefore(partition, previous.offset)
      } catch (error) {
        this.#context.logger.warn({ ...ids, err: error }, 'failed to delete old snapshot chunks, the next save deletes them')
      }
    }
  }

  /**
   * Loads the latest complete snapshot of the partition, or null when there
   * is none. Throws when the chunks do not match the head's checksum.
   */
  async load(partition: number): Promise<Snapshot | null> {
    for (let attempt = 1; ; attempt++) {
      const head = await this.#readHead(partition, this.#context.requestRetry)
      if (head === null) return null

      const chunks = await this.#readChunks(partition, head.offset)
      const complete = chunks.length === head.chunkCount && chunks.every((chunk, i) => chunk.index === i)

      if (!complete) {
        // Two saves since the head was read can have deleted its chunks.
        if (attempt < LOAD_ATTEMPTS) continue
        throw new Error(
          `snapshot of partition ${partition} at offset ${head.offset} is incomplete: found ` +
            `${chunks.length} of ${head.chunkCount} chunks in table ${this.#tableName}. ${RECOVERY_HINT}`,
        )
      }

      const body = Buffer.concat(chunks.map((chunk) => chunk.data))
      if (body.length !== head.byteLength || sha256(body) !== head.sha256) {
        throw new Error(
          `snapshot of partition ${partition} at offset ${head.offset} failed its SHA-256 check ` +
            `in table ${this.#tableName}. ${RECOVERY_HINT}`,
        )
      }
      return { partition, offset: head.offset, body: (await this.#decode(partition, head, body)).toString('utf8') }
    }
  }

  async #decode(partition: number, head: Head, stored: Buffer): Promise<Buffer> {
    if (head.encoding === undefined) return stored
    if (head.encoding !== 'gzip') {
      throw new Error(
        `snapshot of partition ${partition} at offset ${head.offset} has the unknown encoding ` +
          `${JSON.stringify(head.encoding)} in table ${this.#tableName}. ${RECOVERY_HINT}`,
      )
    }
    return gunzipAsync(stored)
  }

  async #retry(
    ids: Record<string, unknown>,
    send: (options: { abortSignal: AbortSignal }) => Promise<unknown>,
  ): Promise<void> {
    await withRetry(
      () => send(requestOptions(this.#context)),
      this.#context.persistRetry,
      this.#context.logger,
      ids,
    )
  }

  async #readHead(partition: number, policy: StoreContext['requestRetry']): Promise<Head | null> {
    const input = { TableName: this.#tableName, Key: { partition, chunkKey: HEAD_KEY }, ConsistentRead: true }
    const output = await withRetry(
      () => this.#context.doc.send(new GetCommand(input), requestOptions(this.#context)),
      policy,
      this.#context.logger,
      { table: this.#tableName, partition },
    )
    return output.Item === undefined ? null : (output.Item as unknown as Head)
  }

  async #readChunks(partition: number, offset: number): Promise<{ index: number; data: Uint8Array }[]> {
    const chunks: { index: number; data: Uint8Array }[] = []
    let startKey: Record<string, unknown> | undefined

    do {
      const input = {
        TableName: this.#tableName,
        KeyConditionExpression: '#partition = :partition AND begins_with(#chunkKey, :prefix)',
        ExpressionAttributeNames: { '#partition': 'partition', '#chunkKey': 'chunkKey' },
        ExpressionAttributeValues: { ':partition': partition, ':prefix': `${offsetPrefix(offset)}#` },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }
      const output = await withRetry(
        () => this.#context.doc.send(new QueryCommand(input), requestOptions(this.#context)),
        this.#context.requestRetry,
        this.#context.logger,
        { table: this.#tableName, partition, offset },
      )

      for (const item of output.Items ?? []) {
        chunks.push({ index: item.index as number, data: item.data as Uint8Array })
      }
      startKey = output.LastEvaluatedKey
    } while (startKey !== undefined)

    return chunks
  }

  /** Deletes every chunk of the snapshots before `offset`. The head item sorts after all chunk keys. */
  async #deleteChunksBefore(partition: number, offset: number): Promise<void> {
    const keys: string[] = []
    let startKey: Record<string, unknown> | undefined

    do {
      const input = {
        TableName: this.#tableName,
        KeyConditionExpression: '#partition = :partition AND #chunkKey < :bound',
        ExpressionAttributeNames: { '#partition': 'partition', '#chunkKey': 'chunkKey' },
        ExpressionAttributeValues: { ':partition': partition, ':bound': offsetPrefix(offset) },
        ProjectionExpression: '#chunkKey',
        ExclusiveStartKey: startKey,
      }
      const output = await withRetry(
        () => this.#context.doc.send(new QueryCommand(input), requestOptions(this.#context)),
        this.#context.persistRetry,
        this.#context.logger,
        { table: this.#tableName, partition, offset },
      )
      for (const item of output.Items ?? []) keys.push(item.chunkKey as string)
      startKey = output.LastEvaluatedKey
    } while (startKey !== undefined)

    await forEachConcurrent(keys, CHUNK_WRITE_CONCURRENCY, async (key) => {
      const input = { TableName: this.#tableName, Key: { partition, chunkKey: key } }
      await this.#retry({ table: this.#tableName, partition, chunkKey: key }, (options) =>
        this.#context.doc.send(new DeleteCommand(input), options),
      )
    })
  }
}
