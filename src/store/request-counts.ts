/**
 * Counts of what a store sent to DynamoDB: requests by operation, and the
 * write requests and the items they carried. Each attempt of a retried
 * request counts once, when it is sent.
 */

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'])

export interface StoreRequestCounts {
  /** Requests by operation name, e.g. PutItem. */
  requests: Record<string, number>
  writeRequests: number
  /** Items written or deleted: 1 per single-item write, the item count of a batch or transaction. */
  writeItems: number
}

export function emptyRequestCounts(): StoreRequestCounts {
  return { requests: {}, writeRequests: 0, writeItems: 0 }
}

/** Adds one request of `operation` (PutItem, not PutItemCommand) with its input. */
export function countRequest(counts: StoreRequestCounts, operation: string, input: unknown): void {
  counts.requests[operation] = (counts.requests[operation] ?? 0) + 1
  if (!WRITE_OPERATIONS.has(operation)) return

  counts.writeRequests++
  counts.writeItems += writeItemCount(operation, input)
}

function writeItemCount(operation: string, input: unknown): number {
  if (operation === 'BatchWriteItem') {
    const tables = (input as { RequestItems?: Record<string, unknown[]> }).RequestItems ?? {}
    return Object.values(tables).reduce((items, requests) => items + requests.length, 0)
  }
  if (operation === 'TransactWriteItems') {
    return (input as { TransactItems?: unknown[] }).TransactItems?.length ?? 0
  }
  return 1
}

/** Returns the sum of several counts, e.g. of the processes of one deployment. */
export function sumRequestCounts(all: StoreRequestCounts[]): StoreRequestCounts {
  const sum = emptyRequestCounts()
  for (const counts of all) {
    for (const [operation, requests] of Object.entries(counts.requests)) {
      sum.requests[operation] = (sum.requests[operation] ?? 0) + requests
    }
    sum.writeRequests += counts.writeRequests
    sum.writeItems += counts.writeItems
  }
  return sum
}
