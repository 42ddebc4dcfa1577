/**
 * Fastify's per-request log lines, moved from info to debug: two info lines
 * per request would dominate the log under load. Errors that reach the
 * error handler are logged there, with the request id.
 */

import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

export class ApiLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' })
  }

  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'incoming request')
  }

  override requestCompleted(error: Error | null | undefined, _request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ err: error, statusCode: reply.statusCode }, 'response failed')
      return
    }
    reply.log.debug({ statusCode: reply.statusCode, elapsedMs: reply.elapsedTime }, 'request completed')
  }
}
