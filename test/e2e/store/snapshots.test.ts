import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { CHUNK_BYTES } from '../../../src/store/snapshots-repository.ts'
import type { DeadLetter } from '../../../src/store/types.ts'
import { startStore, type StoreFixture } from './fixtures.ts'

/** Builds a body of at least `bytes` UTF-8 bytes with multi-byte characters across chunk boundaries. */
function bodyOf(bytes: number, seed: string): string {
  const unit = `${seed}-é€😀-`
  return unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)))
}

describe('snapshots', () => {
  let fixture: StoreFixture
  let doc: DynamoDBDocumentClient

  before(async () => {
    fixture = await startStore()
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: fixture.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    })
    doc = DynamoDBDocumentClient.from(client)
  })

  after(async () => {
    doc.destroy()
    await fixture.close()
  })

  async function chunkOffsets(partition: number): Promise<number[]> {
    const output = await doc.send(
      new QueryCommand({
        TableName: fixture.tables.snapshots,
        KeyConditionExpression: '#partition = :partition',
        ExpressionAttributeNames: { '#partition': 'partition' },
        ExpressionAttributeValues: { ':partition': partition },
      }),
    )
    const offsets = (output.Items ?? []).filter((item) => item.chunkKey !== 'head').map((item) => item.offset as number)
    return [...new Set(offsets)]
  }

  test('loadSnapshot returns null before the first save', async () => {
    assert.equal(await fixture.store.loadSnapshot(9), null)
  })

  test('a body over 400 KB round-trips', async () => {
    const body = bodyOf(3 * CHUNK_BYTES + 1234, 'large')
    assert.ok(Buffer.byteLength(body) > 400 * 1024)

    await fixture.store.saveSnapshot({ partition: 0, offset: 1000, body })

    assert.deepEqual(await fixture.store.loadSnapshot(0), { partition: 0, offset: 1000, body })
    assert.deepEqual(await chunkOffsets(0), [1000])
  })

  test('incompressible body spans chunks', async () => {
    // Random base64 shrinks little under gzip, so the stored bytes need several chunks.
    const body = randomBytes(3 * CHUNK_BYTES).toString('base64')

    await fixture.store.saveSnapshot({ partition: 7, offset: 500, body })

    assert.deepEqual(await fixture.store.loadSnapshot(7), { partition: 7, offset: 500, body })
    const output = await doc.send(
      new QueryCommand({
        TableName: fixture.tables.snapshots,
        KeyConditionExpression: '#partition = :partition',
        ExpressionAttributeNames: { '#partition': 'partition' },
        ExpressionAttributeValues: { ':partition': 7 },
      }),
    )
    const chunks = (output.Items ?? []).filter((item) => item.chunkKey !== 'head')
    assert.ok(chunks.length > 1, `expected several chunks, got ${chunks.length}`)
  })

  test('uncompressed snapshot still loads', async () => {
    // The layout written before compression: plain UTF-8 chunks, a head without an encoding.
    const body = bodyOf(CHUNK_BYTES + 100, 'plain')
    const stored = Buffer.from(body, 'utf8')
    const chunks = [stored.subarray(0, CHUNK_BYTES), stored.subarray(CHUNK_BYTES)]
    for (const [index, data] of chunks.entries()) {
      const chunkKey = `00000000000000000090#${String(index).padStart(6, '0')}`
      await doc.send(
        new PutCommand({ TableName: fixture.tables.snapshots, Item: { partition: 8, chunkKey, offset: 90, index, data } }),
      )
    }
    const head = {
      partition: 8,
      chunkKey: 'head',
      offset: 90,
      chunkCount: 2,
      byteLength: stored.length,
      sha256: createHash('sha256').update(stored).digest('hex'),
    }
    await doc.send(new PutCommand({ TableName: fixture.tables.snapshots, Item: head }))

    assert.deepEqual(await fixture.store.loadSnapshot(8), { partition: 8, offset: 90, body })
  })

  test('an empty body round-trips', async () => {
    await fixture.store.saveSnapshot({ partition: 5, offset: 0, body: '' })

    assert.deepEqual(await fixture.store.loadSnapshot(5), { partition: 5, offset: 0, body: '' })
  })

  test('only the latest two snapshots keep their chunks', async () => {
    for (const offset of [10, 20, 30]) {
      await fixture.store.saveSnapshot({ partition: 1, offset, body: bodyOf(CHUNK_BYTES + 10, `at-${offset}`) })
    }

    assert.deepEqual(await chunkOffsets(1), [20, 30])
    assert.equal((await fixture.store.loadSnapshot(1))?.offset, 30)
  })

  test('an older snapshot does not replace a newer one', async () => {
    const newer = { partition: 2, offset: 50, body: 'newer' }
    await fixture.store.saveSnapshot(newer)
    await fixture.store.saveSnapshot({ partition: 2, offset: 40, body: 'older' })
    await fixture.store.saveSnapshot({ partition: 2, offset: 50, body: 'same offset' })

    assert.deepEqual(await fixture.store.loadSnapshot(2), newer)
  })

  test('chunks without a head are never loaded', async () => {
    const saved = { partition: 3, offset: 60, body: 'complete' }
    await fixture.store.saveSnapshot(saved)

    // A save torn by a crash: a chunk of offset 70 written, the head not moved.
    await doc.send(
      new PutCommand({
        TableName: fixture.tables.snapshots,
        Item: { partition: 3, chunkKey: '00000000000000000070#000000', offset: 70, index: 0, data: Buffer.from('torn') },
      }),
    )

    assert.deepEqual(await fixture.store.loadSnapshot(3), saved)
  })

  test('a corrupted chunk fails the checksum', async () => {
    await fixture.store.saveSnapshot({ partition: 4, offset: 80, body: 'original body' })
    await doc.send(
      new PutCommand({
        TableName: fixture.tables.snapshots,
        Item: { partition: 4, chunkKey: '00000000000000000080#000000', offset: 80, index: 0, data: Buffer.from('original bodY') },
      }),
    )

    await assert.rejects(fixture.store.loadSnapshot(4), /failed its SHA-256 check/)
  })

  test('a negative offset is rejected', async () => {
    await assert.rejects(fixture.store.saveSnapshot({ partition: 6, offset: -1, body: 'x' }), RangeError)
  })
})

describe('dead letters', () => {
  let fixture: StoreFixture

  before(async () => {
    fixture = await startStore()
  })

  after(async () => {
    await fixture.close()
  })

  function letter(partition: number, offset: number): DeadLetter {
    return {
      partition,
      offset,
      key: 'BTC-USD',
      valueBase64: Buffer.from([0xff, 0x00, offset]).toString('base64'),
      reason: 'value is not JSON',
      timestamp: '2030-01-01T00:00:00.000Z',
    }
  }

  test('are listed per partition in offset order', async () => {
    for (const offset of [30, 2, 100, 11]) await fixture.store.putDeadLetter(letter(0, offset))
    await fixture.store.putDeadLetter(letter(1, 5))
    await fixture.store.putDeadLetter(letter(0, 11))

    assert.deepEqual(
      await fixture.store.listDeadLetters(0),
      [2, 11, 30, 100].map((offset) => letter(0, offset)),
    )
    assert.deepEqual(await fixture.store.listDeadLetters(1), [letter(1, 5)])
    assert.deepEqual(await fixture.store.listDeadLetters(2), [])
  })
})
