/**
 * The `application/json` body parser. It keeps decimal fields exact: a JSON
 * number under a decimal key arrives as its source text, so 10.10 stays
 * "10.10" and 1e5 stays "1e5" (and is then rejected as exponent notation)
 * instead of passing through a binary float.
 */

import type { FastifyInstance } from 'fastify'

import { AppError } from '../errors.ts'
import { findDuplicateKey } from '../duplicate-keys.ts'

/** Keys whose JSON numbers are replaced by their source text, at any depth. */
export const DECIMAL_KEYS: ReadonlySet<string> = new Set(['price', 'quantity', 'precio', 'cantidad'])

/** The reviver's third argument (JSON.parse source text access, V8 in Node 24). */
interface ReviverContext {
  source?: string
}

/**
 * Parses a request body. Returns undefined for an empty body, so that a
 * route without a body schema accepts it and one with a schema reports the
 * body as required. Throws AppError `invalid_json` for malformed JSON.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined

  let parsed: unknown
  try {
    parsed = JSON.parse(text, reviveDecimals)
  } catch (error) {
    if (error instanceof AppError) throw error
    // JSON.parse and the reviver recurse per nesting level, so a deep body
    // exhausts the stack. The RangeError's own message names V8 internals.
    if (error instanceof RangeError) {
      throw new AppError('invalid_json', 'request body is nested too deeply. Send the order as a flat JSON object')
    }
    throw new AppError('invalid_json', `request body is not valid JSON: ${(error as Error).message}`)
  }

  const duplicate = findDuplicateKey(text)
  if (duplicate !== undefined) {
    throw new AppError('invalid_json', `request body names ${JSON.stringify(duplicate.at(-1))} twice; send each field once`)
  }
  return parsed
}

function reviveDecimals(key: string, value: unknown, context?: ReviverContext): unknown {
  // A "__proto__" key becomes an own property under JSON.parse, but code that
  // copies the object with assignment would set the prototype instead.
  if (key === '__proto__') {
    throw new AppError('invalid_json', 'request body must not contain a "__proto__" key')
  }
  if (typeof value === 'number' && DECIMAL_KEYS.has(key) && context?.source !== undefined) {
    return context.source
  }
  return value
}

/**
 * Replaces every body parser of the app with the exact JSON one, so that
 * any other content type is rejected with 415.
 */
export function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string))
    } catch (error) {
      done(error as Error, undefined)
    }
  })
}
