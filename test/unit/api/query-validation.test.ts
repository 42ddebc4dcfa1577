import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { buildGuardedApp, type GuardedApp } from './helpers.ts'

interface BadRequest {
  name: string
  method: 'GET' | 'DELETE'
  url: string
  headers?: Record<string, string>
  field: string
  rule: string
}

function get(name: string, url: string, field: string, rule: string): BadRequest {
  return { name, method: 'GET', url, field, rule }
}

function del(name: string, url: string, field: string, rule: string): BadRequest {
  return { name, method: 'DELETE', url, field, rule }
}

const BAD_REQUESTS: BadRequest[] = [
  get('limit zero', '/orders?limit=0', 'limit', 'minimum'),
  get('limit above 100', '/orders?limit=101', 'limit', 'maximum'),
  get('limit not an integer', '/orders?limit=1.5', 'limit', 'type'),
  get('limit not a number', '/orders?limit=ten', 'limit', 'type'),
  get('limit in hexadecimal', '/orders?limit=0x10', 'limit', 'type'),
  get('limit in exponent form', '/orders?limit=1e1', 'limit', 'type'),
  get('limit with a leading space', '/orders?limit=%2016', 'limit', 'type'),
  get('limit with a trailing .0', '/orders?limit=16.0', 'limit', 'type'),
  get('limit with a leading zero', '/orders?limit=016', 'limit', 'type'),
  get('unknown status', '/orders?status=done', 'status', 'enum'),
  get('matched not a boolean', '/orders?matched=maybe', 'matched', 'type'),
  get('lower-case symbol filter', '/orders?symbol=aapl', 'symbol', 'pattern'),
  get('clientId filter with a space', '/orders?clientId=a%20b', 'clientId', 'pattern'),
  get('empty cursor', '/orders?cursor=', 'cursor', 'min_length'),
  get('over-long cursor', `/orders?cursor=${'c'.repeat(2049)}`, 'cursor', 'max_length'),
  get('unknown query parameter', '/orders?side=buy', 'side', 'unknown_field'),
  get('order id with a space', '/orders/a%20b', 'id', 'pattern'),
  get('over-long order id', `/orders/${'i'.repeat(65)}`, 'id', 'max_length'),
  get('trades of a bad id', '/orders/a%2Fb/trades', 'id', 'pattern'),
  del('cancel of a bad id', '/orders/a%20b', 'id', 'pattern'),
  {
    name: 'cancel with a bad X-Client-Id',
    method: 'DELETE',
    url: '/orders/0b6f3f0e-0000-4000-8000-000000000000',
    headers: { 'x-client-id': 'a b' },
    field: 'X-Client-Id',
    rule: 'pattern',
  },
  get('book depth zero', '/book/AAPL?depth=0', 'depth', 'minimum'),
  get('book depth above 100', '/book/AAPL?depth=101', 'depth', 'maximum'),
  get('book depth not a number', '/book/AAPL?depth=all', 'depth', 'type'),
  get('book depth in hexadecimal', '/book/AAPL?depth=0xA', 'depth', 'type'),
  get('book of a lower-case symbol', '/book/aapl', 'symbol', 'pattern'),
  get('book of an over-long symbol', `/book/${'S'.repeat(17)}`, 'symbol', 'max_length'),
]

describe('query and path validation', () => {
  let guarded: GuardedApp

  before(async () => {
    guarded = await buildGuardedApp()
  })
  after(async () => {
    await guarded.app.close()
  })

  for (const request of BAD_REQUESTS) {
    test(request.name, async () => {
      const { method, url, headers } = request
      const response = await guarded.app.inject({ method, url, headers })
      const body = response.json()
      const named = body.details.filter((detail: { field: string }) => detail.field === request.field)

      assert.equal(response.statusCode, 400, response.body)
      assert.equal(body.error, 'validation_failed')
      assert.ok(named.length > 0, `no detail names ${request.field}: ${response.body}`)
      assert.ok(
        named.some((detail: { rule: string }) => detail.rule === request.rule),
        `no detail for ${request.field} has rule ${request.rule}: ${response.body}`,
      )
      assert.deepEqual(guarded.ioCalls, [])
    })
  }
})

describe('plain decimal query integers', () => {
  let guarded: GuardedApp

  before(async () => {
    guarded = await buildGuardedApp()
  })
  after(async () => {
    await guarded.app.close()
  })

  test('limit=16 passes validation and reaches the store', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/orders?limit=16' })

    assert.notEqual(response.statusCode, 400, response.body)
    assert.deepEqual(guarded.ioCalls, ['store.listOrders'])
  })
})
