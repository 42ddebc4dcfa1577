/**
 * Unconditional writes sent as BatchWriteItem requests, across tables. Only
 * writes that can never take an item back to an older state belong here:
 * immutable items (trades), the final state of an order, and the delete of a
 * resting-order key, which no later state of the book uses again.
 */

import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb'

import { requestOptions, type StoreContext } from './client.ts'
import { backoffDelayMs, sleep, withRetry } from './retry.ts'

/** BatchWriteItem accepts at most 25 put or delete requests. */
export const BATCH_WRITE_MAX_ITEMS = 25

type Item = Record<string, unknown>

export type BatchRequest =
  | { table: string, PutRequest: { Item: Item } }
  | { table: string, DeleteRequest: { Key: Item } }

/** Splits requests into BatchWriteItem calls of at most 25 requests each. */
export function chunkRequests(requests: readonly BatchRequest[]): BatchRequest[][] {
  const chunks: BatchRequest[][] = []
  for (let start = 0; start < requests.length; start += BATCH_WRITE_MAX_ITEMS) {
    chunks.push(requests.slice(start, start + BATCH_WRITE_MAX_ITEMS))
  }
  return chunks
}

/**
 * Sends one chunk from chunkRequests(). A chunk must not name one key
 * twice. Unprocessed requests are sent again with backoff, and after
 * context.persistRetry.maxAttempts rounds the call rejects.
 */
export async function writeChunk(context: StoreContext, chunk: BatchRequest[], ids: Record<string, unknown>): Promise<void> {
  const policy = context.persistRetry
  let pending = chunk

  for (let round = 1; ; round++) {
    const input = { RequestItems: groupByTable(pending) }
    const output = await withRetry(
      () => context.doc.send(new BatchWriteCommand(input), requestOptions(context)),
      policy,
      context.logger,
      ids,
    )

    const unprocessed = Object.entries(output.UnprocessedItems ?? {}).flatMap(([table, requests]) =>
      requests.map((request) => ({ table, ...request }) as BatchRequest))
    if (unprocessed.length === 0) return

    if (round >= policy.maxAttempts) {
      throw new Error(`BatchWriteItem left ${unprocessed.length} requests unprocessed after ${round} rounds`)
    }

    const delayMs = backoffDelayMs(policy, round)
    context.logger.warn({ ...ids, unprocessed: unprocessed.length, round, delayMs }, 'BatchWriteItem left requests unprocessed, retrying them')
    await sleep(delayMs)
    pending = unprocessed
  }
}

function groupByTable(requests: readonly BatchRequest[]): Record<string, Array<Omit<BatchRequest, 'table'>>> {
  const byTable: Record<string, Array<Omit<BatchRequest, 'table'>>> = {}
  for (const { table, ...request } of requests) {
    byTable[table] ??= []
    byTable[table].push(request)
  }
  return byTable
}
