import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import fc from 'fast-check'

import { startApi, type ApiFixture } from './fixtures.ts'

/** Values near the rules: valid ones, boundary ones and arbitrary JSON. */
const decimalText = fc.oneof(
  fc.constantFrom('1', '10.05', '0', '-1', '1e5', 'NaN', '10.001', '0.00000001', '1000000000000', '', ' 1'),
  fc.stringMatching(/^[0-9]{1,12}(\.[0-9]{1,10})?$/),
)
const decimalNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
).map((value) => ({ rawNumber: String(value) }))
const anyValue = fc.oneof(fc.jsonValue(), decimalText, decimalNumber)

function field<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: anyValue })
}

const ordersBody = fc.record(
  {
    clientId: field(fc.stringMatching(/^[A-Za-z0-9._:-]{1,70}$/)),
    clientOrderId: field(fc.stringMatching(/^[A-Za-z0-9._:-]{1,70}$/)),
    symbol: field(fc.constantFrom('AAPL', 'MSFT', 'aapl', 'A'.repeat(17), 'BTC-USD')),
    side: field(fc.constantFrom('buy', 'sell', 'hold')),
    type: field(fc.constantFrom('limit', 'market')),
    price: fc.oneof(decimalText, decimalNumber, fc.constant(null), anyValue),
    quantity: fc.oneof(decimalText, decimalNumber, anyValue),
    timeInForce: field(fc.constantFrom('GTC', 'IOC', 'FOK', 'GTD')),
    extra: anyValue,
  },
  { requiredKeys: [] },
)

const ordenesBody = fc.record(
  {
    tipo: field(fc.constantFrom('compra', 'venta')),
    activo: field(fc.constantFrom('AAPL', 'MSFT', 'msft')),
    cantidad: fc.oneof(decimalText, decimalNumber, anyValue),
    precio: fc.oneof(decimalText, decimalNumber, anyValue),
    cliente_id: field(fc.stringMatching(/^[A-Za-z0-9._:-]{1,70}$/)),
  },
  { requiredKeys: [] },
)

/** Serializes a body, writing `{ rawNumber }` values as bare JSON numbers. */
function toJson(body: unknown): string {
  return JSON.stringify(body, (_key, value) =>
    typeof value === 'object' && value !== null && 'rawNumber' in value ? `@@${value.rawNumber}@@` : value,
  ).replace(/"@@(.*?)@@"/g, '$1')
}

describe('random input never a 5xx', () => {
  let api: ApiFixture

  before(async () => {
    api = await startApi()
  })
  after(async () => {
    await api?.close()
  })

  const statuses: number[] = []

  async function checkResponse(url: string, payload: string): Promise<void> {
    const response = await api.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload,
    })
    const body = response.json()
    statuses.push(response.statusCode)

    const expected = [202, 400, 413]
    assert.ok(expected.includes(response.statusCode), `${response.statusCode} for ${payload}: ${response.body}`)
    if (response.statusCode === 400 && body.error === 'validation_failed') {
      assert.ok(body.details.length > 0, `no details for ${payload}`)
      for (const detail of body.details) {
        assert.equal(typeof detail.field, 'string')
        assert.equal(typeof detail.rule, 'string')
        assert.equal(typeof detail.message, 'string')
      }
    }
  }

  test('POST /orders', async () => {
    await fc.assert(
      fc.asyncProperty(ordersBody, (body) => checkResponse('/orders', toJson(body))),
      {
        numRuns: 300,
        examples: [[{ clientId: 'c-fuzz', symbol: 'AAPL', side: 'buy', type: 'limit', price: '1', quantity: '1' }]],
      },
    )
  })

  test('POST /ordenes', async () => {
    await fc.assert(
      fc.asyncProperty(ordenesBody, (body) => checkResponse('/ordenes', toJson(body))),
      {
        numRuns: 200,
        examples: [[{ tipo: 'venta', activo: 'MSFT', cantidad: '1', precio: '1', cliente_id: 'c-fuzz' }]],
      },
    )
  })

  test('valid examples were accepted', () => {
    assert.ok(statuses.includes(202), 'the explicit valid examples reached 202')
    assert.ok(statuses.includes(400))
  })

  test('arbitrary text bodies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), (text) => checkResponse('/orders', text)),
      { numRuns: 200 },
    )
  })
})
