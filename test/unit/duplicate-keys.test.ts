import assert from 'node:assert/strict'
import { test } from 'node:test'

import { findDuplicateKey } from '../../src/duplicate-keys.ts'

const cases: Array<[string, string, string[] | undefined]> = [
  ['distinct names', '{"side":"buy","type":"limit"}', undefined],
  ['repeated name', '{"side":"buy","price":"1","side":"sell"}', ['side']],
  ['escaped repeat', '{"side":"buy","s\\u0069de":"sell"}', ['side']],
  ['name as a value', '{"side":"side","type":"side"}', undefined],
  ['same name in two objects', '[{"a":1},{"a":2}]', undefined],
  ['repeat in a nested object', '{"o":{"a":1,"a":2}}', ['o', 'a']],
  ['repeat two levels down', '{"x":1,"o":{"p":{"a":1,"a":2}}}', ['o', 'p', 'a']],
  ['repeat in an object in an array', '{"l":[{"a":1,"a":2}]}', ['l', 'a']],
  ['name after a nested object', '{"o":{"a":1},"o":2}', ['o']],
  ['quotes and commas in strings', '{"a":"x\\",\\"a","b":"}"}', undefined],
  ['array values', '{"a":["a","a"],"b":1}', undefined],
]

for (const [name, text, expected] of cases) {
  test(`duplicate keys: ${name}`, () => {
    assert.deepEqual(findDuplicateKey(text), expected)
  })
}
