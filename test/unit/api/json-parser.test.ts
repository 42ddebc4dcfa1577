import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { parseJsonBody } from '../../../src/api/json-parser.ts'
import { AppError } from '../../../src/errors.ts'

describe('parseJsonBody', () => {
  test('decimal numbers keep source text', () => {
    const body = parseJsonBody('{"price": 10.10, "quantity": 0.30000000000000004, "precio": 1e5, "cantidad": -0}')

    assert.deepEqual(body, { price: '10.10', quantity: '0.30000000000000004', precio: '1e5', cantidad: '-0' })
  })

  test('large integers stay exact', () => {
    const body = parseJsonBody('{"quantity": 123456789012345678901234567890}')

    assert.deepEqual(body, { quantity: '123456789012345678901234567890' })
  })

  test('other numbers stay numbers', () => {
    const body = parseJsonBody('{"clientId": 12, "limit": 1.5, "nested": {"price": 2.50}}')

    assert.deepEqual(body, { clientId: 12, limit: 1.5, nested: { price: '2.50' } })
  })

  test('decimal strings unchanged', () => {
    assert.deepEqual(parseJsonBody('{"price": "10.10"}'), { price: '10.10' })
  })

  test('empty body is undefined', () => {
    assert.equal(parseJsonBody(''), undefined)
    assert.equal(parseJsonBody(' \n'), undefined)
  })

  test('null and arrays pass through', () => {
    assert.equal(parseJsonBody('null'), null)
    assert.deepEqual(parseJsonBody('[1, {"price": 1.0}]'), [1, { price: '1.0' }])
  })

  for (const text of ['{', '{"price": NaN}', '{"price": Infinity}', "{'price': 1}", '{"a": 1} x']) {
    test(`invalid JSON ${text}`, () => {
      assert.throws(() => parseJsonBody(text), (error: unknown) => {
        assert.ok(error instanceof AppError)
        assert.equal(error.code, 'invalid_json')
        assert.equal(error.statusCode, 400)
        return true
      })
    })
  }

  test('__proto__ key rejected', () => {
    assert.throws(() => parseJsonBody('{"a": {"__proto__": {"polluted": true}}}'), (error: unknown) => {
      assert.ok(error instanceof AppError)
      assert.equal(error.code, 'invalid_json')
      return true
    })
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  test('deep nesting names the limit', () => {
    const depth = 200_000
    const text = `${'['.repeat(depth)}${']'.repeat(depth)}`

    assert.throws(
      () => parseJsonBody(text),
      (error: unknown) => error instanceof AppError && error.code === 'invalid_json' && /nested too deeply/.test(error.message),
    )
  })
})
