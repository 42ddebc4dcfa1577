/**
 * Retries of DynamoDB requests with capped exponential backoff and full
 * jitter, for throttling, 5xx responses, timeouts and network errors.
 */

import type { Logger } from 'pino'

export interface RetryPolicy {
  /** Attempts including the first; 1 disables retries. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'AbortError',
])

const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
])

export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false

  const details = error as {
    name?: string
    code?: string
    $retryable?: unknown
    $metadata?: { httpStatusCode?: number }
  }
  if (details.$retryable !== undefined) return true
  if (details.name !== undefined && RETRYABLE_NAMES.has(details.name)) return true
  if (details.code !== undefined && RETRYABLE_CODES.has(details.code)) return true

  const status = details.$metadata?.httpStatusCode
  return status !== undefined && status >= 500
}

/** Delay before retry number `retry` (1 for the first retry), in ms. */
export function backoffDelayMs(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1))
  return Math.floor(Math.random() * ceiling)
}

export function sleep(delayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delayMs))
}

/**
 * Runs `operation` until it succeeds, fails with an error that is not
 * retryable, or has used `policy.maxAttempts` attempts, and then rethrows the
 * last error. Each retry is logged at warn with `ids`.
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  logger: Logger,
  ids: Record<string, unknown>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      if (attempt >= policy.maxAttempts || !isRetryable(error)) throw error

      const delayMs = backoffDelayMs(policy, attempt)
      logger.warn({ ...ids, err: error, attempt, delayMs }, 'DynamoDB request failed, retrying')
      await sleep(delayMs)
    }
  }
}
