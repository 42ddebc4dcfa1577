import assert from 'node:assert/strict'
import test from 'node:test'
import { createCoreDriver, TradeRecorder } from '../../../bench/core-drivers.ts'
import { FloorBook, floorTradeDigest, type FillListener, type FloorBookOptions } from '../../../bench/floor-book.ts'
import { defaultScenarios, generateFlow } from '../../../bench/flow-generator.ts'

const VARIANTS: Record<string, FloorBookOptions> = {
  floor: { seenIdCapacity: 100_000, orderObjects: false },
  'floor-objects': { seenIdCapacity: 100_000, orderObjects: true },
  'floor-bare': { seenIdCapacity: 0, orderObjects: false },
}

for (const scenario of defaultScenarios(40_000, 7)) {
  test(`floor book trades like the core: ${scenario.name}`, () => {
    const flow = generateFlow(scenario)
    const coreRecorder = new TradeRecorder(flow.length)
    const core = createCoreDriver(flow, coreRecorder)
    for (let index = 0; index < flow.length; index++) core(index)
    const expected = coreRecorder.digest()
    assert.ok(expected.trades > 1000, `only ${expected.trades} trades`)

    for (const [name, options] of Object.entries(VARIANTS)) {
      assert.deepEqual(floorTradeDigest(flow, options), expected, name)
    }
  })
}

test('floor book rejects a remembered id', () => {
  const book = new FloorBook({ seenIdCapacity: 10, orderObjects: false })
  assert.equal(book.submit('a', true, 100, 5, false), true)
  assert.equal(book.submit('a', false, 101, 5, false), false)
  assert.equal(book.cancel('a'), true)
  assert.equal(book.submit('a', true, 100, 5, false), false)
})

/** Returns a fill listener and the fills it records as "price lots maker taker". */
function fillLog(): { fills: string[], onFill: FillListener } {
  const fills: string[] = []
  const onFill: FillListener = (price, lots, maker, taker) => {
    fills.push(`${price} ${lots} ${maker} ${taker}`)
  }
  return { fills, onFill }
}

test('floor book modify crosses at maker price', () => {
  const { fills, onFill } = fillLog()
  const book = new FloorBook({ seenIdCapacity: 10, orderObjects: true, onFill })
  book.submit('ask', false, 105, 3, false)
  book.submit('bid', true, 100, 5, false)
  assert.equal(book.modify('bid', 106, 0), true)
  assert.deepEqual(fills, ['105 3 ask bid'])
  assert.equal(book.cancel('ask'), false)
  assert.equal(book.cancel('bid'), true)
})

test('floor book decrease keeps priority', () => {
  const { fills, onFill } = fillLog()
  const book = new FloorBook({ seenIdCapacity: 10, orderObjects: false, onFill })
  book.submit('first', true, 100, 5, false)
  book.submit('second', true, 100, 5, false)
  book.modify('first', 0, 2)
  book.submit('third', true, 100, 5, false)
  book.modify('third', 0, 6)
  book.submit('taker', false, 100, 20, true)
  assert.deepEqual(fills, ['100 2 first taker', '100 5 second taker', '100 6 third taker'])
})
