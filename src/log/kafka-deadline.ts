/**
 * Bounds on Kafka client calls. @platformatic/kafka retries internally, so a
 * call against a stopped broker can take retries × (timeout + delay). The
 * command log promises its callers a single bound instead.
 */

export class KafkaLogTimeoutError extends Error {
  readonly timeoutMs: number

  constructor(operation: string, timeoutMs: number) {
    super(`${operation} timed out after ${timeoutMs} ms`)
    this.name = 'KafkaLogTimeoutError'
    this.timeoutMs = timeoutMs
  }
}

/**
 * Settles like `promise`, or rejects with KafkaLogTimeoutError after
 * `timeoutMs`. The client call is not cancelled: it may still complete, and
 * its late result or error is dropped.
 */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new KafkaLogTimeoutError(operation, timeoutMs)), timeoutMs)
  })

  // A late rejection after the deadline won must not become unhandled.
  promise.catch(() => {})

  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves after `delayMs`, or at once when `signal` aborts. */
export function sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve()
      return
    }

    const onAbort = (): void => {
      clearTimeout(timer)
      resolve()
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, delayMs)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Exponential backoff for the n-th consecutive failure (n ≥ 1), in ms. */
export function backoffMs(failures: number, baseMs = 200, maxMs = 10_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 16))
}
