/**
 * Errors that reach HTTP clients. Each has a stable `code` that clients may
 * branch on, the HTTP status it maps to, and whether retrying the same
 * request later can succeed.
 */

/**
 * Every code a client can receive in `{ error: code }`:
 *
 * - `validation_failed` (400): the request broke one or more input rules;
 *   `details` names each field and rule.
 * - `invalid_json` (400): the body is not valid JSON.
 * - `invalid_request` (400): the HTTP request itself is malformed, e.g. its
 *   body does not match its Content-Length.
 * - `body_too_large` (413): the body is larger than BODY_LIMIT_BYTES.
 * - `unsupported_media_type` (415): the body is not `application/json`.
 * - `route_not_found` (404): no route matches the path.
 * - `method_not_allowed` (405): the path exists but not with this method;
 *   the `Allow` header lists the methods it serves.
 * - `order_not_found` (404): no order has the requested id.
 * - `order_not_active` (409): the order is filled, cancelled or rejected, so
 *   it can no longer be cancelled; `status` has the order's status.
 * - `duplicate_client_order_id` (409): the client already sent an order with
 *   this clientOrderId; `id` and `status` describe that order.
 * - `log_unavailable` (503, retryable): the command log did not acknowledge
 *   the command in time. The command may still reach the log, so a retry of
 *   a new order should carry the same clientOrderId.
 * - `store_unavailable` (503, retryable): a read from the store failed or
 *   timed out.
 * - `internal_error` (500): an unexpected failure. The client sees only the
 *   request id; the log has the error.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'invalid_json'
  | 'invalid_request'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'order_not_found'
  | 'order_not_active'
  | 'duplicate_client_order_id'
  | 'log_unavailable'
  | 'store_unavailable'
  | 'internal_error'

interface ErrorKind {
  statusCode: number
  retryable: boolean
}

const ERROR_KINDS: Record<ErrorCode, ErrorKind> = {
  validation_failed: { statusCode: 400, retryable: false },
  invalid_json: { statusCode: 400, retryable: false },
  invalid_request: { statusCode: 400, retryable: false },
  body_too_large: { statusCode: 413, retryable: false },
  unsupported_media_type: { statusCode: 415, retryable: false },
  route_not_found: { statusCode: 404, retryable: false },
  method_not_allowed: { statusCode: 405, retryable: false },
  order_not_found: { statusCode: 404, retryable: false },
  order_not_active: { statusCode: 409, retryable: false },
  duplicate_client_order_id: { statusCode: 409, retryable: false },
  log_unavailable: { statusCode: 503, retryable: true },
  store_unavailable: { statusCode: 503, retryable: true },
  internal_error: { statusCode: 500, retryable: false },
}

/** One broken input rule: which field, which rule, and a readable sentence. */
export interface ErrorDetail {
  /** Field name as the client sent it, nested fields joined by dots; `body` or `query` means the whole of it. */
  field: string
  /** Stable rule name, e.g. `required`, `exponent_notation`, `not_multiple_of_tick`. */
  rule: string
  message: string
}

export interface AppErrorOptions {
  details?: ErrorDetail[]
  /** Extra top-level fields of the error body, such as an order's `status`. */
  fields?: Record<string, string>
  cause?: unknown
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly retryable: boolean
  readonly details: ErrorDetail[] | undefined
  readonly fields: Record<string, string> | undefined

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.statusCode = ERROR_KINDS[code].statusCode
    this.retryable = ERROR_KINDS[code].retryable
    this.details = options.details
    this.fields = options.fields
  }
}

/** Builds the 400 for one or more broken input rules. */
export function validationFailed(details: ErrorDetail[]): AppError {
  const fields = [...new Set(details.map((detail) => detail.field))]
  const message = `invalid request: check ${fields.join(', ')}`
  return new AppError('validation_failed', message, { details })
}
