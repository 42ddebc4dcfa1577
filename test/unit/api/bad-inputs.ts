/**
 * Table-driven checks of request bodies that the API must reject.
 */

import assert from 'node:assert/strict'

import type { GuardedApp } from './helpers.ts'

export interface BadInput {
  name: string
  /** Raw body text; when absent the body is the valid one with `change` and `remove` applied. */
  raw?: string
  change?: Record<string, unknown>
  remove?: string[]
  headers?: Record<string, string>
  status: number
  code: string
  /** Field and rule a detail must name; absent for errors without details. */
  field?: string
  rule?: string
}

/** Builds a case rejected with 400 validation_failed naming `field` and `rule`. */
export function rejects(name: string, input: Partial<BadInput>, field: string, rule: string): BadInput {
  return { name, ...input, status: 400, code: 'validation_failed', field, rule }
}

/** Returns `valid` as JSON with `field` written as a bare JSON number, which JSON.stringify cannot produce. */
export function withRawNumber(valid: object, field: string, number: string): string {
  return JSON.stringify({ ...valid, [field]: 'PLACEHOLDER' }).replace('"PLACEHOLDER"', number)
}

function bodyOf(valid: object, input: BadInput): string {
  if (input.raw !== undefined) return input.raw

  const body: Record<string, unknown> = { ...valid, ...input.change }
  for (const key of input.remove ?? []) delete body[key]
  return JSON.stringify(body)
}

/** Posts the case's body to `url` and asserts the status, code, detail and that no I/O happened. */
export async function assertRejected(guarded: GuardedApp, url: string, valid: object, input: BadInput): Promise<void> {
  const response = await guarded.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...input.headers },
    payload: bodyOf(valid, input),
  })
  const body = response.json()

  assert.equal(response.statusCode, input.status, response.body)
  assert.equal(body.error, input.code)
  assert.equal(typeof body.message, 'string')

  if (input.field !== undefined) {
    const named = body.details.filter((detail: { field: string }) => detail.field === input.field)
    assert.ok(named.length > 0, `no detail names ${input.field}: ${response.body}`)
    assert.ok(
      named.some((detail: { rule: string }) => detail.rule === input.rule),
      `no detail for ${input.field} has rule ${input.rule}: ${response.body}`,
    )
  }

  assert.deepEqual(guarded.ioCalls, [])
}
