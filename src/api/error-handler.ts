/**
 * The one place where errors become HTTP responses. Every error body has
 * the shape `{ error: code, message, details?, ...fields }` with a code
 * from src/errors.ts; 5xx messages never reach clients.
 */

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

  app.setNotFoundHandler((request, reply) => {
    const url = request.url.length > MAX_URL_IN_MESSAGE ? `${request.url.slice(0, MAX_URL_IN_MESSAGE)}...` : request.url
    const error = new AppError('route_not_found', `no route matches ${request.method} ${url}`)
    return sendError(reply, error)
  })
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
  }

  // Fastify's own 4xx errors (bad Content-Length, malformed URL) carry messages meant for clients.
  const statusCode = error.statusCode ?? 500
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
