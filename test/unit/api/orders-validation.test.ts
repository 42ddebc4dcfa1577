import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { assertRejected, rejects, withRawNumber, type BadInput } from './bad-inputs.ts'
import { buildGuardedApp, type GuardedApp } from './helpers.ts'

/** A valid POST /orders body for AAPL (tick 0.05, lot 1, max price 1000, max quantity 100000). */
const VALID = {
  clientId: 'client-1',
  clientOrderId: 'ref:1',
  symbol: 'AAPL',
  side: 'buy',
  type: 'limit',
  price: '10.25',
  quantity: '5',
  timeInForce: 'GTC',
}

const BAD_INPUTS: BadInput[] = [
  rejects('missing clientId', { remove: ['clientId'] }, 'clientId', 'required'),
  rejects('missing symbol', { remove: ['symbol'] }, 'symbol', 'required'),
  rejects('missing side', { remove: ['side'] }, 'side', 'required'),
  rejects('missing type', { remove: ['type'] }, 'type', 'required'),
  rejects('missing quantity', { remove: ['quantity'] }, 'quantity', 'required'),
  rejects('limit order without price', { remove: ['price'] }, 'price', 'required'),
  rejects('limit order with null price', { change: { price: null } }, 'price', 'required'),
  rejects('market order with price', { change: { type: 'market' } }, 'price', 'not_allowed_for_market'),
  rejects('clientId as number', { change: { clientId: 123 } }, 'clientId', 'type'),
  rejects('side as number', { change: { side: 1 } }, 'side', 'type'),
  rejects('quantity as boolean', { change: { quantity: true } }, 'quantity', 'type'),
  rejects('price as object', { change: { price: { value: '1' } } }, 'price', 'type'),
  rejects('zero quantity', { change: { quantity: '0' } }, 'quantity', 'not_positive'),
  rejects('zero price as number', { raw: withRawNumber(VALID, 'price', '0') }, 'price', 'not_positive'),
  rejects('zero with decimals', { change: { price: '0.00' } }, 'price', 'not_positive'),
  rejects('negative price as number', { raw: withRawNumber(VALID, 'price', '-10') }, 'price', 'negative'),
  rejects('negative quantity', { change: { quantity: '-5' } }, 'quantity', 'negative'),
  rejects('NaN price', { change: { price: 'NaN' } }, 'price', 'not_finite'),
  rejects('Infinity quantity', { change: { quantity: 'Infinity' } }, 'quantity', 'not_finite'),
  rejects('negative Infinity price', { change: { price: '-Infinity' } }, 'price', 'not_finite'),
  { name: 'bare NaN token', raw: withRawNumber(VALID, 'price', 'NaN'), status: 400, code: 'invalid_json' },
  rejects('exponent number 1e5', { raw: withRawNumber(VALID, 'quantity', '1e5') },
    'quantity', 'exponent_notation'),
  rejects('exponent string 1E2', { change: { price: '1E2' } }, 'price', 'exponent_notation'),
  rejects('exponent with fraction', { raw: withRawNumber(VALID, 'price', '1.5e-2') }, 'price', 'exponent_notation'),
  rejects('more than 8 decimals', { change: { price: '10.123456789' } }, 'price', 'too_many_decimals'),
  rejects('more than 8 decimals as number', { raw: withRawNumber(VALID, 'quantity', '1.000000001') },
    'quantity', 'too_many_decimals'),
  rejects('price off the tick', { change: { price: '10.01' } }, 'price', 'not_multiple_of_tick'),
  rejects('quantity off the lot', { change: { quantity: '1.5' } }, 'quantity', 'not_multiple_of_lot'),
  rejects('default lot size', { change: { symbol: 'MSFT', price: '10.01', quantity: '1.00001' } },
    'quantity', 'not_multiple_of_lot'),
  rejects('default tick size', { change: { symbol: 'MSFT', price: '10.001' } },
    'price', 'not_multiple_of_tick'),
  rejects('quantity below minimum', { change: { symbol: 'MSFT', price: '10.01', quantity: '0.00001' } },
    'quantity', 'below_minimum'),
  rejects('price above maximum', { change: { price: '1000.05' } }, 'price', 'above_maximum'),
  rejects('quantity above maximum', { change: { quantity: '100001' } }, 'quantity', 'above_maximum'),
  rejects('default maximum price', { change: { symbol: 'MSFT', price: '1000000.01' } },
    'price', 'above_maximum'),
  rejects('letters as price', { change: { price: 'ten' } }, 'price', 'not_a_decimal'),
  rejects('leading zeros', { change: { quantity: '007' } }, 'quantity', 'not_a_decimal'),
  rejects('leading plus sign', { change: { price: '+10' } }, 'price', 'not_a_decimal'),
  rejects('trailing point', { change: { price: '10.' } }, 'price', 'not_a_decimal'),
  rejects('leading point', { change: { price: '.5' } }, 'price', 'not_a_decimal'),
  rejects('whitespace in decimal', { change: { price: ' 10' } }, 'price', 'not_a_decimal'),
  rejects('comma decimal', { change: { price: '10,5' } }, 'price', 'not_a_decimal'),
  rejects('hex quantity', { change: { quantity: '0x10' } }, 'quantity', 'not_a_decimal'),
  rejects('over-long decimal', { change: { quantity: '1'.repeat(40) } }, 'quantity', 'max_length'),
  rejects('unknown side', { change: { side: 'hold' } }, 'side', 'enum'),
  rejects('unknown type', { change: { type: 'stop' } }, 'type', 'enum'),
  rejects('unknown timeInForce', { change: { timeInForce: 'GTD' } }, 'timeInForce', 'enum'),
  rejects('side in upper case', { change: { side: 'BUY' } }, 'side', 'enum'),
  rejects('lower-case symbol', { change: { symbol: 'aapl' } }, 'symbol', 'pattern'),
  rejects('symbol over 16 characters', { change: { symbol: 'A'.repeat(17) } }, 'symbol', 'max_length'),
  rejects('empty symbol', { change: { symbol: '' } }, 'symbol', 'min_length'),
  rejects('symbol starting with a dot', { change: { symbol: '.AAPL' } }, 'symbol', 'pattern'),
  rejects('symbol with a slash', { change: { symbol: 'BTC/USD' } }, 'symbol', 'pattern'),
  rejects('clientId over 64 characters', { change: { clientId: 'c'.repeat(65) } },
    'clientId', 'max_length'),
  rejects('empty clientId', { change: { clientId: '' } }, 'clientId', 'min_length'),
  rejects('clientId with a space', { change: { clientId: 'client 1' } }, 'clientId', 'pattern'),
  rejects('clientOrderId with a slash', { change: { clientOrderId: 'a/b' } },
    'clientOrderId', 'pattern'),
  rejects('clientOrderId over 64 characters', { change: { clientOrderId: 'r'.repeat(65) } },
    'clientOrderId', 'max_length'),
  rejects('unknown field', { change: { stopPrice: '9' } }, 'stopPrice', 'unknown_field'),
  rejects('Spanish field on /orders', { change: { cantidad: '5' } }, 'cantidad', 'unknown_field'),
  rejects('null body', { raw: 'null' }, 'body', 'type'),
  rejects('array body', { raw: JSON.stringify([VALID]) }, 'body', 'type'),
  rejects('string body', { raw: '"buy AAPL"' }, 'body', 'type'),
  rejects('number body', { raw: '42' }, 'body', 'type'),
  rejects('empty body', { raw: '' }, 'body', 'type'),
  { name: 'malformed JSON', raw: '{"clientId": "c1",', status: 400, code: 'invalid_json' },
  { name: 'trailing text after JSON', raw: `${JSON.stringify(VALID)} x`, status: 400, code: 'invalid_json' },
  { name: '__proto__ key', raw: '{"__proto__": {"admin": true}}', status: 400, code: 'invalid_json' },
  {
    name: 'text/plain body',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'body without content type',
    headers: { 'content-type': '' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'form body',
    raw: 'clientId=c1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'body over the limit',
    change: { padding: 'x'.repeat(5000) },
    status: 413,
    code: 'body_too_large',
  },
  rejects('invalid X-Client-Id header', { headers: { 'x-client-id': 'bad id' } },
    'X-Client-Id', 'pattern'),
  rejects('X-Client-Id not the body clientId', { headers: { 'x-client-id': 'client-2' } },
    'clientId', 'client_mismatch'),
]

describe('POST /orders bad input', () => {
  let guarded: GuardedApp

  before(async () => {
    guarded = await buildGuardedApp()
  })
  after(async () => {
    await guarded.app.close()
  })

  for (const input of BAD_INPUTS) {
    test(input.name, async () => {
      await assertRejected(guarded, '/orders', VALID, input)
    })
  }

  test('every broken field reported at once', async () => {
    const response = await guarded.app.inject({
      method: 'POST',
      url: '/orders',
      payload: { ...VALID, symbol: 'aapl', side: 'hold', price: '1e5', quantity: '-1', extra: 1 },
    })
    const details: Array<{ field: string; rule: string }> = response.json().details
    const rules = details.map((detail) => `${detail.field}:${detail.rule}`)

    assert.equal(response.statusCode, 400)
    assert.deepEqual(rules.sort(), [
      'extra:unknown_field',
      'price:exponent_notation',
      'quantity:negative',
      'side:enum',
      'symbol:pattern',
    ])
  })

  test('details carry a message', async () => {
    const payload = { ...VALID, price: '10.01' }
    const response = await guarded.app.inject({ method: 'POST', url: '/orders', payload })
    const [detail] = response.json().details

    assert.equal(detail.field, 'price')
    assert.equal(detail.rule, 'not_multiple_of_tick')
    assert.match(detail.message, /tick size 0\.05/)
  })
})

describe('type errors of decimal fields', () => {
  let guarded: GuardedApp

  before(async () => {
    guarded = await buildGuardedApp()
  })
  after(async () => {
    await guarded.app.close()
  })

  for (const [field, value, message] of [
    ['price', true, 'must be a decimal, as a JSON number or a string like "10.25", or null'],
    ['quantity', ['5'], 'must be a decimal, as a JSON number or a string like "10.25"'],
  ] as const) {
    test(`${field} as ${JSON.stringify(value)} names both forms`, async () => {
      const response = await guarded.app.inject({ method: 'POST', url: '/orders', payload: { ...VALID, [field]: value } })

      assert.equal(response.statusCode, 400, response.body)
      assert.deepEqual(response.json().details, [{ field, rule: 'type', message }])
    })
  }
})
