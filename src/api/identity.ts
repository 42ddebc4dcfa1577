/**
 * Resolves who is calling, once per request, into `request.client`. Routes
 * read the identity only from there, so authentication and per-client
 * ownership checks can replace this hook without touching the routes.
 */

import type { FastifyInstance, FastifyRequest } from 'fastify'

import { validationFailed } from '../errors.ts'
import { ID_PATTERN } from './schemas/common.ts'

export interface ClientIdentity {
  id: string
  /** Origin of the id. */
  source: 'body' | 'header'
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The calling client, or null when the request names none. */
    client: ClientIdentity | null
  }
}

const CLIENT_HEADER = 'x-client-id'
const BODY_FIELDS = ['clientId', 'cliente_id'] as const
const idPattern = new RegExp(ID_PATTERN)

/**
 * Adds the hook. It runs as a preHandler, after schema validation, so a
 * body's client id has already been checked against its pattern.
 */
// TODO: authenticate the caller (e.g. a signed token) and derive the client from it. Until
// then any caller can act as any client, and no route checks that an order is the caller's.
export function installIdentity(app: FastifyInstance): void {
  app.decorateRequest('client', null)
  app.addHook('preHandler', async (request) => {
    request.client = resolveClient(request)
  })
}

function resolveClient(request: FastifyRequest): ClientIdentity | null {
  const header = readHeader(request)
  const body = readBody(request)

  if (header !== null && body !== null && header !== body.id) {
    throw validationFailed([
      {
        field: body.field,
        rule: 'client_mismatch',
        message: `must match the X-Client-Id header (got "${body.id}" and "${header}")`,
      },
    ])
  }

  if (body !== null) return { id: body.id, source: 'body' }
  if (header !== null) return { id: header, source: 'header' }
  return null
}

function readHeader(request: FastifyRequest): string | null {
  const value = request.headers[CLIENT_HEADER]
  if (value === undefined) return null

  if (typeof value !== 'string' || !idPattern.test(value)) {
    throw validationFailed([
      {
        field: 'X-Client-Id',
        rule: 'pattern',
        message: 'must be one header of 1-64 characters of A-Z a-z 0-9 . _ : -',
      },
    ])
  }
  return value
}

function readBody(request: FastifyRequest): { field: string; id: string } | null {
  const body = request.body
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null

  for (const field of BODY_FIELDS) {
    const id = (body as Record<string, unknown>)[field]
    if (typeof id !== 'string') continue

    // Routes without a body schema reach this hook with unchecked bodies.
    if (!idPattern.test(id)) {
      throw validationFailed([
        { field, rule: 'pattern', message: 'must be 1-64 characters of A-Z a-z 0-9 . _ : -' },
      ])
    }
    return { field, id }
  }
  return null
}
