/**
 * Builds the HTTP API: Fastify with the exact JSON parser, the validators,
 * the client identity hook, the error handler, the routes and the OpenAPI
 * document (UI at /docs, JSON at /docs/json).
 */

import { randomUUID } from 'node:crypto'

import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'

import { handleClientError, handleFrameworkError, installErrorHandler } from './error-handler.ts'
import { installIdentity } from './identity.ts'
import { installJsonParser } from './json-parser.ts'
import { addMethodNotAllowedRoutes, collectRouteMethods } from './method-not-allowed.ts'
import { ApiLogController } from './request-logging.ts'
import { bookRoutes } from './routes/book.ts'
import { healthRoutes } from './routes/health.ts'
import { orderQueryRoutes } from './routes/order-queries.ts'
import { modifyRoutes } from './routes/modify.ts'
import { orderRoutes } from './routes/orders.ts'
import { ordenRoutes } from './routes/ordenes.ts'
import { RecentOrders } from './recent-orders.ts'
import type { ApiDependencies } from './types.ts'
import { createValidatorCompiler } from './validation.ts'

export type { ApiDependencies } from './types.ts'

/** Bound on receiving one whole request, headers and body. */
const REQUEST_TIMEOUT_MS = 10_000
const DOCS_PREFIX = '/docs'

/** Returns the app ready for `listen()` or `inject()`; the caller owns its lifecycle. */
export async function buildApp(dependencies: ApiDependencies): Promise<FastifyInstance> {
  const deps: ApiDependencies = { ...dependencies, recentOrders: dependencies.recentOrders ?? new RecentOrders() }
  const app = Fastify({
    // Typed as Fastify's logger interface, which pino's Logger implements, so
    // that the app is a plain FastifyInstance.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimitBytes,
    // A client that stops sending mid-request gets a 408 once Node's
    // periodic connection check (every 30 s by default) finds this bound
    // passed. close() drops idle keep-alive connections at once and lets
    // every request in flight get its response, so an order being appended
    // does not lose its 202. src/service.ts bounds that wait during a stop.
    requestTimeout: REQUEST_TIMEOUT_MS,
    forceCloseConnections: 'idle',
    genReqId: () => randomUUID(),
    logController: new ApiLogController(),
    // Without this option, Fastify sends router errors, such as the 414 for
    // an over-long order id, with a fixed body that includes its error code.
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
  })

  app.setValidatorCompiler(createValidatorCompiler(deps.instruments))
  installJsonParser(app)
  installErrorHandler(app)
  installIdentity(app)

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id)
  })

  // close() drops only the keep-alive connections idle when it starts. A
  // response sent after that carries Connection: close, so the stop need not
  // wait for the keep-alive timeout of connections that were busy.
  // NOTE: a request pipelined behind one in flight at the stop gets no
  // response: the connection closes after the first, as its header announces, and
  // the client must send it again (with a clientOrderId to stay idempotent).
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing) reply.header('Connection', 'close')
    done(null, payload)
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Order engine API',
        description: 'Order entry and queries of a price-time priority matching engine.',
        version: '0.1.0',
      },
    },
  })
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX })

  const routeMethods = collectRouteMethods(app, DOCS_PREFIX)
  await app.register(healthRoutes, deps)
  await app.register(orderRoutes, deps)
  await app.register(modifyRoutes, deps)
  await app.register(ordenRoutes, deps)
  await app.register(orderQueryRoutes, deps)
  await app.register(bookRoutes, deps)
  addMethodNotAllowedRoutes(app, routeMethods)

  return app
}
