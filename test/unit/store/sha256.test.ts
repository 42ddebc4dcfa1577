import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { test } from 'node:test'
import { Sha256 } from '../../../src/store/sha256.ts'

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

test('plain hash matches node:crypto', async () => {
  const hash = new Sha256()
  hash.update('canonical request')
  hash.update(new Uint8Array([1, 2, 3]))

  const expected = createHash('sha256').update('canonical request').update(Buffer.from([1, 2, 3])).digest('hex')
  assert.equal(hex(await hash.digest()), expected)
})

test('plain hash digests twice', async () => {
  const hash = new Sha256()
  hash.update('a')
  const first = hex(await hash.digest())
  hash.update('b')

  assert.equal(first, createHash('sha256').update('a').digest('hex'))
  assert.equal(hex(await hash.digest()), createHash('sha256').update('ab').digest('hex'))
})

test('HMAC with a string key', async () => {
  const hmac = new Sha256('AWS4secret')
  hmac.update('20261204')

  assert.equal(hex(await hmac.digest()), createHmac('sha256', 'AWS4secret').update('20261204').digest('hex'))
})

test('HMAC with byte keys, reused', async () => {
  const key = new Uint8Array(32).fill(7)
  const other = new Uint8Array(32).fill(8)

  // The second use of each key takes the imported key from the cache.
  for (let round = 0; round < 2; round++) {
    for (const secret of [key, other]) {
      const hmac = new Sha256(secret)
      hmac.update('string to sign')
      const expected = createHmac('sha256', Buffer.from(secret)).update('string to sign').digest('hex')
      assert.equal(hex(await hmac.digest()), expected)
    }
  }
})

test('HMAC with a key in an ArrayBuffer view', async () => {
  const backing = new Uint8Array([9, 1, 2, 3, 4, 9])
  const view = new Uint8Array(backing.buffer, 1, 4)
  const hmac = new Sha256(view)
  hmac.update('data')

  assert.equal(hex(await hmac.digest()), createHmac('sha256', Buffer.from([1, 2, 3, 4])).update('data').digest('hex'))
})

test('many keys stay correct', async () => {
  for (let i = 0; i < 40; i++) {
    const hmac = new Sha256(`key-${i}`)
    hmac.update('x')
    assert.equal(hex(await hmac.digest()), createHmac('sha256', `key-${i}`).update('x').digest('hex'))
  }
})

test('HMAC update after digest throws', async () => {
  const hmac = new Sha256('key')
  hmac.update('a')
  await hmac.digest()

  assert.throws(() => hmac.update('b'), /already digested/)
})

test('reset starts over', async () => {
  const hmac = new Sha256('key')
  hmac.update('a')
  await hmac.digest()
  hmac.reset()
  hmac.update('b')

  assert.equal(hex(await hmac.digest()), createHmac('sha256', 'key').update('b').digest('hex'))
})

test('empty secret is a plain hash', async () => {
  const hash = new Sha256('')
  hash.update('a')

  assert.equal(hex(await hash.digest()), createHash('sha256').update('a').digest('hex'))
})
