import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeCursor, encodeCursor } from '../../../src/store/order-cursor.ts'
import { InvalidCursorError } from '../../../src/store/types.ts'

const SORT_KEY = '2030-01-01T00:00:00.000Z#order-1'

test('cursor round-trips its sort key', () => {
  const cursor = encodeCursor('by_symbol', { symbol: 'BTC-USD', matched: true }, SORT_KEY)

  assert.match(cursor, /^[A-Za-z0-9_-]+$/)
  assert.equal(decodeCursor(cursor, 'by_symbol', { matched: true, symbol: 'BTC-USD' }), SORT_KEY)
})

test('cursor ignores absent filter fields', () => {
  const cursor = encodeCursor('by_shard', { symbol: undefined }, SORT_KEY)

  assert.equal(decodeCursor(cursor, 'by_shard', {}), SORT_KEY)
})

test('cursor rejects another index or filter', () => {
  const cursor = encodeCursor('by_client', { clientId: 'a' }, SORT_KEY)

  assert.throws(() => decodeCursor(cursor, 'by_symbol', { clientId: 'a' }), InvalidCursorError)
  assert.throws(() => decodeCursor(cursor, 'by_client', { clientId: 'b' }), InvalidCursorError)
  assert.throws(() => decodeCursor(cursor, 'by_client', { clientId: 'a', matched: false }), InvalidCursorError)
})

test('cursor rejects garbage', () => {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const garbage = [
    '',
    '%%%',
    'YQ==',
    encode(null),
    encode('text'),
    encode({ index: 'by_shard', filter: {}, sortKey: '2030-01-01#order-1' }),
    encode({ index: 'by_shard', filter: {}, sortKey: '2030-01-01T00:00:00.000Z#' }),
    encode({ index: 'by_shard', filter: null, sortKey: SORT_KEY }),
  ]
  for (const cursor of garbage) {
    assert.throws(() => decodeCursor(cursor, 'by_shard', {}), InvalidCursorError, `cursor ${JSON.stringify(cursor)}`)
  }
})
