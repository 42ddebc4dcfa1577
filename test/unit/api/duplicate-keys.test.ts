import assert from 'node:assert/strict'
import { test } from 'node:test'

import { findDuplicateKey } from '../../../src/api/duplicate-keys.ts'
import { parseJsonBody } from '../../../src/api/json-parser.ts'

const cases: Array<[string, string, string | undefined]> = [
  ['distinct names', '{"side":"buy","type":"limit"}', undefined],
  ['repeated name', '{"side":"buy","price":"1","side":"sell"}', 'side'],
  ['escaped repeat', '{"side":"buy","s\\u0069de":"sell"}', 'side'],
  ['name as a value', '{"side":"side","type":"side"}', undefined],
  ['same name in two objects', '[{"a":1},{"a":2}]', undefined],
  ['repeat in a nested object', '{"o":{"a":1,"a":2}}', 'a'],
  ['name after a nested object', '{"o":{"a":1},"o":2}', 'o'],
  ['quotes and commas in strings', '{"a":"x\\",\\"a","b":"}"}', undefined],
  ['array values', '{"a":["a","a"],"b":1}', undefined],
]

for (const [name, text, expected] of cases) {
  test(`duplicate keys: ${name}`, () => {
    assert.equal(findDuplicateKey(text), expected)
  })
}

test('parser rejects a repeated field', () => {
  assert.throws(
    () => parseJsonBody('{"side":"buy","side":"sell"}'),
    (error: any) => error.code === 'invalid_json' && /"side" twice/.test(error.message),
  )
})
