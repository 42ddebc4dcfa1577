import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { TimeoutError, withTimeout } from '../../../src/api/timeout.ts'

describe('withTimeout', () => {
  test('resolves with the value', async () => {
    assert.equal(await withTimeout(Promise.resolve(42), 1000, 'answer'), 42)
  })

  test('passes the rejection through', async () => {
    const failure = new Error('append failed')

    await assert.rejects(withTimeout(Promise.reject(failure), 1000, 'append'), failure)
  })

  test('rejects a promise that never settles', async () => {
    const never = new Promise<void>(() => {})

    await assert.rejects(withTimeout(never, 5, 'command log append'), (error: unknown) => {
      assert.ok(error instanceof TimeoutError)
      assert.equal(error.timeoutMs, 5)
      assert.equal(error.message, 'command log append timed out after 5 ms')
      return true
    })
  })
})
