/**
 * Reads from the store with the API's bound and error mapping: a read that
 * fails or outlasts DYNAMO_REQUEST_TIMEOUT_MS becomes a retryable 503.
 */

import { AppError, validationFailed } from '../errors.ts'
import { InvalidCursorError } from '../store/types.ts'
import { withTimeout } from './timeout.ts'
import type { ApiDependencies } from './types.ts'

export async function readStore<T>(deps: ApiDependencies, read: Promise<T>, operation: string): Promise<T> {
  try {
    return await withTimeout(read, deps.config.aws.requestTimeoutMs, operation)
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw validationFailed([{ field: 'cursor', rule: 'invalid_cursor', message: error.message }])
    }
    throw new AppError('store_unavailable', `${operation} failed; retry after Retry-After seconds`, {
      cause: error,
    })
  }
}
