/**
 * GET /health (the process is alive) and GET /ready (its dependencies
 * respond to a ping), for load balancers and orchestrators.
 */

import type { FastifyInstance, FastifyRequest } from 'fastify'

import { readinessSchema, healthSchema } from '../schemas/health.ts'
import { TimeoutError, withTimeout } from '../timeout.ts'
import type { ApiDependencies } from '../types.ts'

type CheckStatus = 'ok' | 'failed' | 'timed_out'

export async function healthRoutes(app: FastifyInstance, deps: ApiDependencies): Promise<void> {
  app.get('/health', { schema: healthSchema }, async () => ({ status: 'ok' }))

  app.get('/ready', { schema: readinessSchema }, async (request, reply) => {
    const [log, store] = await Promise.all([
      check(request, 'log', () => deps.log.ping(), deps.config.kafka.requestTimeoutMs),
      check(request, 'store', () => deps.store.ping(), deps.config.aws.requestTimeoutMs),
    ])
    const ready = log === 'ok' && store === 'ok'

    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      checks: { log: { status: log }, store: { status: store } },
    })
  })
}

async function check(
  request: FastifyRequest,
  dependency: string,
  ping: () => Promise<void>,
  timeoutMs: number,
): Promise<CheckStatus> {
  try {
    await withTimeout(ping(), timeoutMs, `${dependency} ping`)
    return 'ok'
  } catch (error) {
    request.log.warn({ err: error, dependency }, 'readiness check failed')
    return error instanceof TimeoutError ? 'timed_out' : 'failed'
  }
}
