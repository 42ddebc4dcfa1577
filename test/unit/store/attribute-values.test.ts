import assert from 'node:assert/strict'
import { test } from 'node:test'
import { marshall } from '@aws-sdk/util-dynamodb'

import { marshallFlat } from '../../../src/store/attribute-values.ts'

test('flat record matches the SDK marshaller', () => {
  const record = { id: 'o-1', version: 42, priceTicks: -3, price: '100.05', open: true, reason: null, absent: undefined }

  assert.deepEqual(marshallFlat(record), marshall(record, { removeUndefinedValues: true }))
})

test('unsafe integer is rejected', () => {
  assert.throws(() => marshallFlat({ version: 2 ** 53 }), RangeError)
})

test('non-finite number is rejected', () => {
  assert.throws(() => marshallFlat({ version: Number.NaN }), RangeError)
  assert.throws(() => marshallFlat({ version: Number.POSITIVE_INFINITY }), RangeError)
})

test('nested value is rejected', () => {
  assert.throws(() => marshallFlat({ fills: [1, 2] }), TypeError)
})
