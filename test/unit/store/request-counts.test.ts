import assert from 'node:assert/strict'
import { test } from 'node:test'
import { countRequest, emptyRequestCounts, sumRequestCounts } from '../../../src/store/request-counts.ts'

test('a read counts as a request and writes nothing', () => {
  const counts = emptyRequestCounts()
  countRequest(counts, 'Query', { TableName: 'orders' })

  assert.deepEqual(counts, { requests: { Query: 1 }, writeRequests: 0, writeItems: 0 })
})

test('a single-item write carries one item', () => {
  const counts = emptyRequestCounts()
  countRequest(counts, 'PutItem', { TableName: 'orders', Item: {} })
  countRequest(counts, 'DeleteItem', undefined)

  assert.deepEqual(counts, { requests: { PutItem: 1, DeleteItem: 1 }, writeRequests: 2, writeItems: 2 })
})

test('a batch carries the requests of every table in it', () => {
  const counts = emptyRequestCounts()
  countRequest(counts, 'BatchWriteItem', { RequestItems: { orders: [{}, {}, {}], trades: [{}, {}] } })
  countRequest(counts, 'TransactWriteItems', { TransactItems: [{}, {}] })

  assert.deepEqual(counts, {
    requests: { BatchWriteItem: 1, TransactWriteItems: 1 },
    writeRequests: 2,
    writeItems: 7,
  })
})

test('the sum adds requests by operation', () => {
  const api = emptyRequestCounts()
  countRequest(api, 'GetItem', {})
  countRequest(api, 'PutItem', {})
  const engine = emptyRequestCounts()
  countRequest(engine, 'PutItem', {})
  countRequest(engine, 'BatchWriteItem', { RequestItems: { trades: [{}, {}] } })

  assert.deepEqual(sumRequestCounts([api, engine]), {
    requests: { GetItem: 1, PutItem: 2, BatchWriteItem: 1 },
    writeRequests: 3,
    writeItems: 4,
  })
})
