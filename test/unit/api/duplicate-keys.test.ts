import assert from 'node:assert/strict'
import { test } from 'node:test'

import { parseJsonBody } from '../../../src/api/json-parser.ts'

test('parser rejects a repeated field', () => {
  assert.throws(
    () => parseJsonBody('{"side":"buy","side":"sell"}'),
    (error: any) => error.code === 'invalid_json' && /"side" twice/.test(error.message),
  )
})
