/**
 * Rejects a known path requested with a method it does not serve with 405 and
 * an `Allow` header, where Fastify would return 404 for any unmatched method.
 */

import type { FastifyInstance, HTTPMethods } from 'fastify'

import { AppError } from '../errors.ts'

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/** Paths of the API routes, each with the methods it serves. */
export type RouteMethods = Map<string, Set<string>>

/**
 * Records the method of every route registered after this call, except the
 * routes under `ignoredPrefix` (the OpenAPI pages).
 */
export function collectRouteMethods(app: FastifyInstance, ignoredPrefix: string): RouteMethods {
  const routes: RouteMethods = new Map()

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(ignoredPrefix)) return

    const methods = routes.get(route.url) ?? new Set<string>()
    for (const method of [route.method].flat()) methods.add(method)
    routes.set(route.url, methods)
  })
  return routes
}

/**
 * Adds, for each recorded path, one hidden route for the methods it does not
 * serve. It rejects in onRequest, before any body is read.
 */
export function addMethodNotAllowedRoutes(app: FastifyInstance, routes: RouteMethods): void {
  for (const [url, served] of [...routes]) {
    if (served.has('GET')) served.add('HEAD')

    const allow = METHODS.filter((method) => served.has(method))
    const missing = METHODS.filter((method) => !served.has(method))
    if (missing.length === 0) continue

    app.route({
      method: missing,
      url,
      schema: { hide: true },
      onRequest: async (request, reply) => {
        reply.header('Allow', allow.join(', '))
        throw new AppError('method_not_allowed', `${request.method} is not allowed on ${url}. Allowed methods: ${allow.join(', ')}`)
      },
      handler: async () => undefined,
    })
  }
}
