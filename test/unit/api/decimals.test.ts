import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { checkDecimalField, type DecimalField } from '../../../src/api/decimals.ts'
import { parseInstrumentRegistry } from '../../../src/core/instrument-registry.ts'

const instruments = parseInstrumentRegistry({
  BTC: { tickSize: '0.5', lotSize: '0.00000001', maxPrice: '500000', maxQuantity: '21000000' },
  PENNY: { tickSize: '0.0001', lotSize: '100', minQuantity: '500', maxQuantity: '1000000' },
})

interface Case {
  symbol: string
  field: DecimalField
  text: string
  rule: string | null
}

const CASES: Case[] = [
  { symbol: 'BTC', field: 'price', text: '64000.5', rule: null },
  { symbol: 'BTC', field: 'price', text: '64000.50000000', rule: null },
  { symbol: 'BTC', field: 'price', text: '64000.25', rule: 'not_multiple_of_tick' },
  { symbol: 'BTC', field: 'price', text: '500000', rule: null },
  { symbol: 'BTC', field: 'price', text: '500000.5', rule: 'above_maximum' },
  { symbol: 'BTC', field: 'quantity', text: '0.00000001', rule: null },
  { symbol: 'BTC', field: 'quantity', text: '0.000000001', rule: 'too_many_decimals' },
  { symbol: 'BTC', field: 'quantity', text: '21000000', rule: null },
  { symbol: 'BTC', field: 'quantity', text: '21000000.00000001', rule: 'above_maximum' },
  { symbol: 'PENNY', field: 'price', text: '0.0001', rule: null },
  { symbol: 'PENNY', field: 'price', text: '0.00015', rule: 'not_multiple_of_tick' },
  { symbol: 'PENNY', field: 'quantity', text: '400', rule: 'below_minimum' },
  { symbol: 'PENNY', field: 'quantity', text: '550', rule: 'not_multiple_of_lot' },
  { symbol: 'PENNY', field: 'quantity', text: '600', rule: null },
  { symbol: 'OTHER', field: 'price', text: '0.01', rule: null },
  { symbol: 'OTHER', field: 'price', text: '0.015', rule: 'not_multiple_of_tick' },
  { symbol: 'OTHER', field: 'price', text: '1000000', rule: null },
  { symbol: 'OTHER', field: 'price', text: '1000000.01', rule: 'above_maximum' },
  { symbol: 'OTHER', field: 'quantity', text: '0.0001', rule: null },
  { symbol: 'OTHER', field: 'quantity', text: '0.00005', rule: 'below_minimum' },
  { symbol: 'OTHER', field: 'quantity', text: '1000000000', rule: null },
  { symbol: 'OTHER', field: 'quantity', text: '1000000000.0001', rule: 'above_maximum' },
  { symbol: 'OTHER', field: 'quantity', text: '9'.repeat(31), rule: 'above_maximum' },
  { symbol: 'OTHER', field: 'price', text: '0', rule: 'not_positive' },
  { symbol: 'OTHER', field: 'price', text: '0.00000000', rule: 'not_positive' },
  { symbol: 'OTHER', field: 'price', text: '-0', rule: 'negative' },
  { symbol: 'OTHER', field: 'price', text: '-1.5', rule: 'negative' },
  { symbol: 'OTHER', field: 'price', text: '1e5', rule: 'exponent_notation' },
  { symbol: 'OTHER', field: 'price', text: '1E+5', rule: 'exponent_notation' },
  { symbol: 'OTHER', field: 'price', text: '2.5e-3', rule: 'exponent_notation' },
  { symbol: 'OTHER', field: 'price', text: '.5e1', rule: 'exponent_notation' },
  { symbol: 'OTHER', field: 'price', text: 'NaN', rule: 'not_finite' },
  { symbol: 'OTHER', field: 'price', text: 'infinity', rule: 'not_finite' },
  { symbol: 'OTHER', field: 'price', text: '+Infinity', rule: 'not_finite' },
  { symbol: 'OTHER', field: 'price', text: '', rule: 'not_a_decimal' },
  { symbol: 'OTHER', field: 'price', text: '+1', rule: 'not_a_decimal' },
  { symbol: 'OTHER', field: 'price', text: '01', rule: 'not_a_decimal' },
  { symbol: 'OTHER', field: 'price', text: '1.', rule: 'not_a_decimal' },
  { symbol: 'OTHER', field: 'price', text: '1..2', rule: 'not_a_decimal' },
  { symbol: 'OTHER', field: 'price', text: '1 ', rule: 'not_a_decimal' },
  { symbol: 'OTHER', field: 'price', text: 'e5', rule: 'not_a_decimal' },
  { symbol: 'OTHER', field: 'price', text: '١٠', rule: 'not_a_decimal' },
]

describe('checkDecimalField', () => {
  for (const { symbol, field, text, rule } of CASES) {
    test(`${symbol} ${field} ${JSON.stringify(text)}`, () => {
      const result = checkDecimalField(text, field, instruments.get(symbol))

      if (rule === null) {
        assert.deepEqual(result, { ok: true })
        return
      }
      if (result.ok) assert.fail(`expected rule ${rule}`)
      assert.equal(result.rule, rule)
      assert.ok(result.message.includes(JSON.stringify(text)), 'message quotes the value')
    })
  }

  test('tick message names the tick size', () => {
    const result = checkDecimalField('64000.25', 'price', instruments.get('BTC'))

    if (result.ok) assert.fail('expected not_multiple_of_tick')
    assert.match(result.message, /tick size 0\.5 of BTC/)
  })
})
