import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { murmur2 as platformaticMurmur2 } from '@platformatic/kafka'

import { murmur2, murmur2Partition, toPositive } from '../../../src/log/partitioner.ts'

// Expected hashes from testMurmur2 in Kafka's UtilsTest (clients module, org.apache.kafka.common.utils).
const KAFKA_VECTORS: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
]

describe('murmur2', () => {
  for (const [key, expected] of KAFKA_VECTORS) {
    test(`Kafka vector ${JSON.stringify(key)}`, () => {
      assert.equal(murmur2(Buffer.from(key, 'utf8')), expected)
    })
  }

  test('every tail length matches platformatic', () => {
    // Keys of length 0 to 12 cover each of the 0-3 tail bytes over several blocks.
    for (let length = 0; length <= 12; length += 1) {
      const bytes = Buffer.from('x9é€AbC😀'.repeat(4)).subarray(0, length)
      assert.equal(murmur2(bytes), platformaticMurmur2(bytes), `length ${length}`)
    }
  })

  test('random keys match platformatic', () => {
    // A fixed linear congruential generator keeps the keys the same on every run.
    let state = 12345
    const nextByte = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0
      return state >>> 24
    }

    for (let i = 0; i < 2000; i += 1) {
      const bytes = Buffer.from(Array.from({ length: i % 40 }, nextByte))
      assert.equal(murmur2(bytes), platformaticMurmur2(bytes), `key ${bytes.toString('hex')}`)
    }
  })
})

describe('murmur2Partition', () => {
  test('toPositive clears the sign bit', () => {
    assert.equal(toPositive(-1), 0x7fffffff)
    assert.equal(toPositive(-2147483648), 0)
    assert.equal(toPositive(5), 5)
  })

  test('partitions of Kafka vectors', () => {
    // Worked by hand: -790332482 & 0x7fffffff = 1357151166, which is 0 mod 3 and 6 mod 10.
    assert.equal(murmur2Partition('foobar', 3), 0)
    assert.equal(murmur2Partition('foobar', 10), 6)
    // -973932308 & 0x7fffffff = 1173551340, which is 0 mod 3 and 3 mod 7.
    assert.equal(murmur2Partition('21', 3), 0)
    assert.equal(murmur2Partition('21', 7), 3)
    // 479470107 is positive already: 0 mod 3, 7 mod 10.
    assert.equal(murmur2Partition('abc', 3), 0)
    assert.equal(murmur2Partition('abc', 10), 7)
    // -58897971 & 0x7fffffff = 2088585677, which is 2 mod 3.
    assert.equal(murmur2Partition('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', 3), 2)
  })

  test('single partition is always 0', () => {
    assert.equal(murmur2Partition('BTC-USD', 1), 0)
    assert.equal(murmur2Partition('', 1), 0)
  })

  test('invalid partition count', () => {
    assert.throws(() => murmur2Partition('BTC-USD', 0), RangeError)
    assert.throws(() => murmur2Partition('BTC-USD', 1.5), RangeError)
  })
})
