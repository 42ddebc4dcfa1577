/**
 * The cursor of listOrders: base64url of JSON naming the index, the filter
 * and the index sort key of the last returned order. A page resumes strictly
 * after that sort key, which is unique because it ends with the order id.
 */

import { InvalidCursorError, type OrderFilter } from './types.ts'

interface CursorBody {
  index: string
  filter: OrderFilter
  sortKey: string
}

// `${ISO 8601 UTC with milliseconds}#${order id}`, as orderSortKey builds it.
const SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#.+$/

/** Returns the filter with its fields in a fixed order and absent fields left out. */
function canonicalFilter(filter: OrderFilter): OrderFilter {
  const canonical: OrderFilter = {}
  if (filter.clientId !== undefined) canonical.clientId = filter.clientId
  if (filter.symbol !== undefined) canonical.symbol = filter.symbol
  if (filter.status !== undefined) canonical.status = filter.status
  if (filter.matched !== undefined) canonical.matched = filter.matched
  return canonical
}

export function encodeCursor(index: string, filter: OrderFilter, sortKey: string): string {
  const body: CursorBody = { index, filter: canonicalFilter(filter), sortKey }
  return Buffer.from(JSON.stringify(body)).toString('base64url')
}

/**
 * Returns the sort key to resume after. Throws InvalidCursorError unless the
 * cursor came from encodeCursor with the same index and filter.
 */
export function decodeCursor(cursor: string, index: string, filter: OrderFilter): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError()

  let body: unknown
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw new InvalidCursorError()
  }

  if (typeof body !== 'object' || body === null) throw new InvalidCursorError()
  const { index: cursorIndex, filter: cursorFilter, sortKey } = body as Partial<CursorBody>

  if (cursorIndex !== index) throw new InvalidCursorError()
  if (JSON.stringify(cursorFilter) !== JSON.stringify(canonicalFilter(filter))) throw new InvalidCursorError()
  if (typeof sortKey !== 'string' || !SORT_KEY.test(sortKey)) throw new InvalidCursorError()

  return sortKey
}
