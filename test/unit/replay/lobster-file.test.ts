import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import {
  formatLobsterPrice,
  LobsterFormatError,
  parseBooks,
  parseDollarPrice,
  parseMessages,
  readLobsterDir,
  resolveLobsterDir,
} from '../../../src/replay/lobster-file.ts'

describe('formatLobsterPrice', () => {
  const cases: Array<[number, string]> = [
    [5853300, '585.33'],
    [5853000, '585.3'],
    [5850000, '585'],
    [5853301, '585.3301'],
    [100, '0.01'],
    [1, '0.0001'],
    [0, '0'],
    [9_007_199_254_740_991, '900719925474.0991'],
  ]
  for (const [raw, text] of cases) {
    it(`formats ${raw} as ${text}`, () => {
      assert.equal(formatLobsterPrice(raw), text)
    })
  }

  it('rejects negative and fractional input', () => {
    assert.throws(() => formatLobsterPrice(-1), RangeError)
    assert.throws(() => formatLobsterPrice(1.5), RangeError)
  })
})

describe('parseDollarPrice', () => {
  it('inverts formatLobsterPrice', () => {
    for (const raw of [5853300, 5853000, 5850000, 5853301, 100, 1]) {
      assert.equal(parseDollarPrice(formatLobsterPrice(raw)), raw)
    }
  })

  it('accepts trailing zeros', () => {
    assert.equal(parseDollarPrice('585.3300'), 5853300)
    assert.equal(parseDollarPrice('585.30'), 5853000)
  })

  it('rejects more than four decimals and non-decimals', () => {
    assert.throws(() => parseDollarPrice('585.33001'), RangeError)
    assert.throws(() => parseDollarPrice('-1'), RangeError)
    assert.throws(() => parseDollarPrice('1e3'), RangeError)
    assert.throws(() => parseDollarPrice('585.'), RangeError)
  })
})

describe('parseMessages', () => {
  it('parses every column exactly', () => {
    const [message] = parseMessages('34200.004241176,1,16113575,18,5853300,1')
    assert.deepEqual(message, {
      row: 1,
      time: '34200.004241176',
      type: 1,
      orderId: 16113575,
      size: 18,
      priceRaw: 5853300,
      side: 'buy',
    })
  })

  it('maps direction -1 to sell and numbers rows from 1', () => {
    const messages = parseMessages('1.5,4,7,10,5859100,1\n2,3,8,20,5859200,-1\n')
    assert.equal(messages.length, 2)
    assert.equal(messages[1].row, 2)
    assert.equal(messages[1].side, 'sell')
    assert.equal(messages[1].type, 3)
  })

  it('accepts CRLF line endings', () => {
    assert.equal(parseMessages('1,1,1,1,100,1\r\n2,1,2,1,100,1').length, 2)
  })

  const invalid: Array<[string, string, RegExp]> = [
    ['five columns', '1,1,1,1,100', /expected 6 columns, found 5/],
    ['a fractional size', '1,1,1,1.5,100,1', /size "1.5" is not an integer/],
    ['a float price', '1,1,1,1,585.33,1', /price "585.33" is not an integer/],
    ['event type 8', '1,8,1,1,100,1', /event type 8 is not one of 1-7/],
    ['direction 0', '1,1,1,1,100,0', /direction 0/],
    ['a time with a sign', '-1,1,1,1,100,1', /time "-1"/],
    ['an unsafe integer', '1,1,99999999999999999,1,100,1', /outside the safe integer range/],
  ]
  for (const [name, text, pattern] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => parseMessages(text, 'm.csv'), (error: unknown) => {
        assert.ok(error instanceof LobsterFormatError)
        assert.match(error.message, /^m\.csv row 1: /)
        assert.match(error.message, pattern)
        return true
      })
    })
  }
})

describe('parseBooks', () => {
  it('splits levels into asks and bids, best first', () => {
    const [row] = parseBooks('5859400,200,5853300,18,5859800,100,5853000,150')
    assert.deepEqual(row.asks, [{ priceRaw: 5859400, size: 200 }, { priceRaw: 5859800, size: 100 }])
    assert.deepEqual(row.bids, [{ priceRaw: 5853300, size: 18 }, { priceRaw: 5853000, size: 150 }])
  })

  it('drops dummy levels of an empty side', () => {
    const [row] = parseBooks('5859400,200,-9999999999,0,9999999999,0,-9999999999,0')
    assert.deepEqual(row.asks, [{ priceRaw: 5859400, size: 200 }])
    assert.deepEqual(row.bids, [])
  })

  it('rejects a column count that is not a multiple of 4', () => {
    assert.throws(() => parseBooks('1,2,3'), /expected a multiple of 4 columns, found 3/)
  })

  it('rejects levels out of best-first order', () => {
    assert.throws(() => parseBooks('5859800,1,5853000,1,5859400,1,5853300,1'), /ask levels 1 and 2/)
    assert.throws(() => parseBooks('5859400,1,5853000,1,5859800,1,5853300,1'), /bid levels 1 and 2/)
  })
})

describe('readLobsterDir', () => {
  it('reads the AAPL sample exactly', () => {
    const data = readLobsterDir(resolveLobsterDir())
    assert.equal(data.messages.length, 999)
    assert.equal(data.books.length, 999)
    assert.equal(data.depth, 10)

    const counts = new Map<number, number>()
    for (const message of data.messages) counts.set(message.type, (counts.get(message.type) ?? 0) + 1)
    assert.deepEqual(Object.fromEntries(counts), { 1: 471, 3: 369, 4: 98, 5: 61 })

    assert.equal(data.messages[998].time, '34249.086375027')
    assert.deepEqual(data.books[0].asks[0], { priceRaw: 5859400, size: 200 })
    assert.deepEqual(data.books[0].bids[0], { priceRaw: 5853300, size: 18 })
  })

  it('finds only whole-cent prices in the sample', () => {
    // The replay's instrument uses a 0.01 tick; a sub-cent price would be rejected.
    const data = readLobsterDir(resolveLobsterDir())
    const prices = [
      ...data.messages.map((message) => message.priceRaw),
      ...data.books.flatMap((row) => [...row.asks, ...row.bids].map((level) => level.priceRaw)),
    ]
    assert.equal(prices.filter((price) => price % 100 !== 0).length, 0)
  })

  it('keeps the first rows with a limit', () => {
    const data = readLobsterDir(resolveLobsterDir(), 5)
    assert.equal(data.messages.length, 5)
    assert.equal(data.books.length, 5)
    assert.equal(data.messages[4].row, 5)
  })

  it('rejects a folder without a message file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lobster-'))
    try {
      assert.throws(() => readLobsterDir(dir), /expected exactly one \*_message_<N>\.csv file/)
    } finally {
      rmSync(dir, { recursive: true })
    }
  })

  it('rejects files of different lengths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lobster-'))
    try {
      writeFileSync(join(dir, 'X_2012-06-21_1_2_message_1.csv'), '1,1,1,1,100,1\n2,1,2,1,100,1')
      writeFileSync(join(dir, 'X_2012-06-21_1_2_orderbook_1.csv'), '200,1,100,1')
      assert.throws(() => readLobsterDir(dir), /has 2 rows but .* has 1/)
    } finally {
      rmSync(dir, { recursive: true })
    }
  })
})

describe('resolveLobsterDir', () => {
  it('prefers LOBSTER_DIR', () => {
    assert.equal(resolveLobsterDir({ LOBSTER_DIR: '/tmp/lobster' }), '/tmp/lobster')
  })

  it('defaults to shared/data/lobster beside the repository', () => {
    assert.match(resolveLobsterDir({}), /\/shared\/data\/lobster$/)
  })
})
