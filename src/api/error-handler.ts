/**
 * The one place where errors become HTTP responses. Every error body has
 * the shape `{ error: code, message, details?, ...fields }` with a code
 * from src/errors.ts, and 5xx messages never reach clients. Statuses that
 * no code has (414, 408, 431) keep Fastify's shape instead, see
 * reasonPhraseBody.
 */

import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

import type { ErrorObject } from 'ajv'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

import { AppError, validationFailed } from '../errors.ts'
import { toErrorDetails } from './validation.ts'

/** Seconds a client should wait before retrying after a retryable 503. */
export const RETRY_AFTER_SECONDS = 1

const MAX_URL_IN_MESSAGE = 200

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const appError = toAppError(error, request)
    logError(error, appError, request)
    return sendError(reply, appError)
  })

  app.setNotFoundHandler((request, reply) => sendError(reply, routeNotFound(request)))
}

/**
 * Sends the response for an error that Fastify's router raises before any
 * hook runs (the `frameworkErrors` option), so it also sets X-Request-Id.
 *
 * A path parameter over the router's maxParamLength gets a 414. Other
 * errors, such as a malformed percent-encoding (FST_ERR_BAD_URL), get the
 * app's error shape.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('X-Request-Id', request.id)

  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    request.log.debug({ err: error, requestId: request.id }, 'request rejected')
    const limit = request.server.initialConfig.maxParamLength
    const message = `a path parameter in ${request.method} ${shortUrl(request.url)} is longer than ${limit} characters`
    return reply.code(414).type('application/json; charset=utf-8').send(reasonPhraseBody(414, message))
  }

  const appError = toAppError(error, request)
  logError(error, appError, request)
  return sendError(reply, appError)
}

/** Statuses and messages of the client errors that are not a 400, by Node's error code. */
const CLIENT_ERROR_STATUS: Record<string, { status: number, message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'the request was not received in time' },
  HPE_HEADER_OVERFLOW: { status: 431, message: 'the request headers, URL included, are over the size limit' },
}

/**
 * Sends the response to a request that Node's HTTP server rejects before
 * Fastify receives it (the `clientErrorHandler` option), such as a body cut
 * short by the end of the connection. Every such response carries an
 * X-Request-Id and closes the connection.
 */
export function handleClientError(
  this: FastifyInstance,
  error: Error & { code?: string, reason?: string },
  socket: Socket,
): void {
  // A reset connection has no client left to read a response.
  if (error.code === 'ECONNRESET' || socket.destroyed) return

  const requestId = randomUUID()
  const known = CLIENT_ERROR_STATUS[error.code ?? '']
  const status = known?.status ?? 400
  const body = known === undefined
    ? {
        error: 'invalid_request',
        message:
          `the HTTP request is malformed (${error.reason ?? error.message}): check the request line, ` +
          'the headers, and that the body is as long as its Content-Length',
      }
    : reasonPhraseBody(status, known.message)
  this.log.debug({ err: error, requestId, statusCode: status }, 'malformed HTTP request rejected')

  if (socket.writable) {
    const text = JSON.stringify(body)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(text)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        text,
    )
  }
  socket.destroy()
}

/** Returns Fastify's error body, `{ error: reason phrase, message, statusCode }`. */
function reasonPhraseBody(status: number, message: string) {
  return { error: STATUS_CODES[status], message, statusCode: status }
}

function shortUrl(url: string): string {
  return url.length > MAX_URL_IN_MESSAGE ? `${url.slice(0, MAX_URL_IN_MESSAGE)}...` : url
}

function routeNotFound(request: FastifyRequest): AppError {
  return new AppError('route_not_found', `no route matches ${request.method} ${shortUrl(request.url)}`)
}

function toAppError(error: FastifyError | AppError, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error

  if (error.validation !== undefined) {
    const details = toErrorDetails(error.validation as ErrorObject[], error.validationContext ?? 'body')
    return validationFailed(details)
  }

  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        'body_too_large',
        `request body is larger than the limit of ${request.server.initialConfig.bodyLimit} bytes`,
      )
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(request.headers['content-type'])
    case 'FST_ERR_BAD_URL':
      return new AppError(
        'invalid_request',
        `the path of ${request.method} ${shortUrl(request.url)} is not a valid URL: check its percent-encoding`,
        { cause: error },
      )
  }

  const statusCode = error.statusCode ?? 500
  // @fastify/static 10, which serves the /docs files, raises a 403 for a path
  // outside its folder or not in canonical form, such as
  // /docs/static/../../etc/passwd (FST_STATIC_FORBIDDEN_PATH, or an
  // http-errors 403 from @fastify/send). It already sends some such paths to
  // the not-found handler, so every 403 gets the 404 of an unknown path.
  if (statusCode === 403) {
    return routeNotFound(request)
  }
  // Fastify's other 4xx errors (bad Content-Length, empty JSON body) carry messages meant for clients.
  if (statusCode >= 400 && statusCode < 500) {
    return new AppError('invalid_request', error.message, { cause: error })
  }

  return new AppError('internal_error', `internal error; quote request id ${request.id} when reporting it`, {
    cause: error,
  })
}

function unsupportedMediaType(contentType: string | undefined): AppError {
  if (contentType === undefined || contentType === '') {
    return new AppError('unsupported_media_type', 'request body has no Content-Type; send it as application/json')
  }
  return new AppError(
    'unsupported_media_type',
    `content type ${JSON.stringify(contentType)} is not supported; send the body as application/json`,
  )
}

function logError(original: Error, appError: AppError, request: FastifyRequest): void {
  const context = { err: original, requestId: request.id, code: appError.code }

  if (appError.statusCode >= 500) {
    request.log.error(context, 'request failed')
  } else {
    // Client errors are expected traffic; at debug a flood of bad requests costs little.
    request.log.debug(context, 'request rejected')
  }
}

function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.retryable) reply.header('Retry-After', String(RETRY_AFTER_SECONDS))

  const body: Record<string, unknown> = { error: error.code, message: error.message }
  if (error.details !== undefined) body.details = error.details
  if (error.fields !== undefined) Object.assign(body, error.fields)

  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(body)
}
