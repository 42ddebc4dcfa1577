/**
 * Unconditional writes sent as BatchWriteItem requests, across tables. Only
 * writes that can never take an item back to an older state belong here:
 * immutable items (trades), the final state of an order, and the delete of a
 * resting-order key, which no later state of the book uses again.
 */

import type { WriteRequest } from '@aws-sdk/client-dynamodb'

import type { AttributeMap } from './attribute-values.ts'
import { requestOptions, type StoreContext } from './client.ts'
import { backoffDelayMs, sleep, withRetry } from './retry.ts'

interface BatchWriteOutput {
  UnprocessedItems?: Record<string, WriteRequest[]>
}

/** BatchWriteItem accepts at most 25 put or delete requests. */
export const BATCH_WRITE_MAX_ITEMS = 25

/** One put or delete of a BatchWriteItem request, with its item or key already marshalled. */
export type BatchRequest =
  | { table: string, PutRequest: { Item: AttributeMap } }
  | { table: string, DeleteRequest: { Key: AttributeMap } }

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
      () => context.http.send<BatchWriteOutput>('BatchWriteItem', input, requestOptions(context).abortSignal),
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

function groupByTable(requests: readonly BatchRequest[]): Record<string, WriteRequest[]> {
  const byTable: Record<string, WriteRequest[]> = {}
  for (const { table, ...request } of requests) {
    byTable[table] ??= []
    byTable[table].push(request)
  }
  return byTable
}
