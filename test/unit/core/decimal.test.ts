import assert from 'node:assert/strict'
import { test } from 'node:test'

import fc from 'fast-check'

import {
  divideHalfEven,
  formatDecimalE8,
  formatScaled,
  parseDecimalE8,
} from '../../../src/core/decimal.ts'

test('parseDecimalE8 valid inputs', () => {
  const cases: Array<[string, bigint]> = [
    ['0', 0n],
    ['0.0', 0n],
    ['1', 100_000_000n],
    ['0.5', 50_000_000n],
    ['10.25', 1_025_000_000n],
    ['0.00000001', 1n],
    ['0.10000000', 10_000_000n],
    ['99999999.99999999', 9_999_999_999_999_999n],
    ['123456789012345678901234567890.12345678', 12345678901234567890123456789012345678n],
  ]
  for (const [text, expected] of cases) {
    assert.equal(parseDecimalE8(text), expected, text)
  }
})

test('parseDecimalE8 rejection codes', () => {
  const cases: Array<[string, string]> = [
    ['', 'not_a_decimal'],
    ['.', 'not_a_decimal'],
    ['.5', 'not_a_decimal'],
    ['5.', 'not_a_decimal'],
    ['1.2.3', 'not_a_decimal'],
    ['007', 'not_a_decimal'],
    ['00.5', 'not_a_decimal'],
    ['01', 'not_a_decimal'],
    ['-1', 'not_a_decimal'],
    ['+1', 'not_a_decimal'],
    ['1e5', 'not_a_decimal'],
    ['1E5', 'not_a_decimal'],
    [' 1', 'not_a_decimal'],
    ['1 ', 'not_a_decimal'],
    ['1,5', 'not_a_decimal'],
    ['0x10', 'not_a_decimal'],
    ['Infinity', 'not_a_decimal'],
    ['NaN', 'not_a_decimal'],
    ['١٢', 'not_a_decimal'],
    ['1_000', 'not_a_decimal'],
    ['1.000000000', 'too_many_decimals'],
    ['0.123456789', 'too_many_decimals'],
    ['1'.repeat(31), 'too_large'],
    ['1'.repeat(31) + '.5', 'too_large'],
  ]
  for (const [text, expected] of cases) {
    assert.equal(parseDecimalE8(text), expected, JSON.stringify(text))
  }
})

test('parseDecimalE8 non-string input', () => {
  assert.equal(parseDecimalE8(10 as unknown as string), 'not_a_decimal')
  assert.equal(parseDecimalE8(null as unknown as string), 'not_a_decimal')
})

test('formatScaled canonical form', () => {
  const cases: Array<[bigint, number, string]> = [
    [0n, 8, '0'],
    [1n, 8, '0.00000001'],
    [150_000_000n, 8, '1.5'],
    [100_000_000n, 8, '1'],
    [1_025_000_000n, 8, '10.25'],
    [10n, 1, '1'],
    [12n, 0, '12'],
    [-150n, 2, '-1.5'],
    [1n, 16, '0.0000000000000001'],
    [12345678901234567890123456789n, 16, '1234567890123.4567890123456789'],
  ]
  for (const [value, decimals, expected] of cases) {
    assert.equal(formatScaled(value, decimals), expected, `${value} / 10^${decimals}`)
  }
})

test('decimal round trip', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (valueE8) => {
      const text = formatDecimalE8(valueE8)
      assert.equal(parseDecimalE8(text), valueE8)
      assert.doesNotMatch(text, /\.\d*0$/, 'no trailing zeros')
    }),
    { numRuns: 500 },
  )
})

test('divideHalfEven ties and signs', () => {
  const cases: Array<[bigint, bigint, bigint]> = [
    [5n, 2n, 2n],
    [7n, 2n, 4n],
    [10n, 4n, 2n],
    [14n, 4n, 4n],
    [1n, 3n, 0n],
    [2n, 3n, 1n],
    [0n, 7n, 0n],
    [-5n, 2n, -2n],
    [-7n, 2n, -4n],
    [5n, -2n, -2n],
    [-2n, -3n, 1n],
  ]
  for (const [numerator, denominator, expected] of cases) {
    assert.equal(divideHalfEven(numerator, denominator), expected, `${numerator} / ${denominator}`)
  }
})

test('divideHalfEven zero denominator', () => {
  assert.throws(() => divideHalfEven(1n, 0n), RangeError)
})

test('divideHalfEven nearest result', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
      fc.bigInt({ min: 1n, max: 10n ** 20n }),
      (numerator, denominator) => {
        const quotient = divideHalfEven(numerator, denominator)
        // |numerator - quotient × denominator| <= denominator / 2, with ties on even quotients.
        const twiceError = 2n * (numerator - quotient * denominator)
        const absoluteTwiceError = twiceError < 0n ? -twiceError : twiceError
        assert.ok(absoluteTwiceError <= denominator)
        if (absoluteTwiceError === denominator) {
          assert.equal(quotient % 2n, 0n)
        }
      },
    ),
    { numRuns: 500 },
  )
})
