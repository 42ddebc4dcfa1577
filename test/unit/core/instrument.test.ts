import assert from 'node:assert/strict'
import { test } from 'node:test'

import fc from 'fast-check'

import { parseDecimalE8 } from '../../../src/core/decimal.ts'
import {
  averagePrice,
  createInstrument,
  defaultInstrument,
  InstrumentConfigError,
  lotsToQuantity,
  notionalToString,
  priceToTicks,
  quantityToLots,
  ticksToPrice,
} from '../../../src/core/instrument.ts'
import { InstrumentRegistry, parseInstrumentRegistry } from '../../../src/core/instrument-registry.ts'

const MAX = Number.MAX_SAFE_INTEGER

test('default instrument limits', () => {
  const instrument = defaultInstrument('XYZ')
  assert.equal(instrument.symbol, 'XYZ')
  assert.equal(instrument.tickSize, '0.01')
  assert.equal(instrument.lotSize, '0.0001')
  assert.equal(instrument.minQuantity, '0.0001')
  assert.equal(instrument.maxQuantity, '1000000000')
  assert.equal(instrument.maxPrice, '1000000')
  assert.equal(instrument.maxPriceTicks, 100_000_000)
  assert.equal(instrument.maxLots, 10_000_000_000_000)
  assert.ok(Object.isFrozen(instrument))
})

test('priceToTicks on default instrument', () => {
  const instrument = defaultInstrument('XYZ')
  const cases: Array<[string, number | string]> = [
    ['10.25', 1025],
    ['10.2', 1020],
    ['10', 1000],
    ['0.01', 1],
    ['10.25000000', 1025],
    ['1000000', 100_000_000],
    ['abc', 'not_a_decimal'],
    ['-1', 'not_a_decimal'],
    ['', 'not_a_decimal'],
    ['1.123456789', 'too_many_decimals'],
    ['10.255', 'not_multiple_of_tick'],
    ['0.001', 'not_multiple_of_tick'],
    ['0', 'not_positive'],
    ['0.00', 'not_positive'],
    ['1000000.01', 'above_maximum'],
    ['9'.repeat(40), 'above_maximum'],
  ]
  for (const [price, expected] of cases) {
    assert.equal(priceToTicks(instrument, price), expected, JSON.stringify(price))
  }
})

test('quantityToLots rejection codes', () => {
  const instrument = createInstrument('LOT', {
    tickSize: '0.5',
    lotSize: '1',
    minQuantity: '5',
    maxQuantity: '1000',
  })
  const cases: Array<[string, number | string]> = [
    ['5', 5],
    ['1000', 1000],
    ['17', 17],
    ['x', 'not_a_decimal'],
    ['5.000000001', 'too_many_decimals'],
    ['0', 'not_positive'],
    ['3', 'below_minimum'],
    ['4.5', 'below_minimum'],
    ['5.5', 'not_multiple_of_lot'],
    ['1001', 'above_maximum'],
    ['1'.repeat(35), 'above_maximum'],
  ]
  for (const [quantity, expected] of cases) {
    assert.equal(quantityToLots(instrument, quantity), expected, JSON.stringify(quantity))
  }
})

test('quantityToLots on default instrument', () => {
  const instrument = defaultInstrument('XYZ')
  assert.equal(quantityToLots(instrument, '1.5'), 15_000)
  assert.equal(quantityToLots(instrument, '0.0001'), 1)
  assert.equal(quantityToLots(instrument, '0.00001'), 'below_minimum')
  assert.equal(quantityToLots(instrument, '0.00015'), 'not_multiple_of_lot')
  assert.equal(quantityToLots(instrument, '1000000000'), 10_000_000_000_000)
  assert.equal(quantityToLots(instrument, '1000000000.0001'), 'above_maximum')
})

test('formatting ticks and lots', () => {
  const instrument = defaultInstrument('XYZ')
  assert.equal(ticksToPrice(instrument, 1025), '10.25')
  assert.equal(ticksToPrice(instrument, 1020), '10.2')
  assert.equal(ticksToPrice(instrument, 1000), '10')
  assert.equal(ticksToPrice(instrument, 0), '0')
  assert.equal(lotsToQuantity(instrument, 15_000), '1.5')
  assert.equal(lotsToQuantity(instrument, 1), '0.0001')
  for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
    assert.throws(() => ticksToPrice(instrument, bad), RangeError, `ticks ${bad}`)
    assert.throws(() => lotsToQuantity(instrument, bad), RangeError, `lots ${bad}`)
  }
})

test('sums stay exact', () => {
  const instrument = createInstrument('TENTHS', { tickSize: '0.1', lotSize: '0.1' })
  const first = quantityToLots(instrument, '0.1') as number
  const second = quantityToLots(instrument, '0.2') as number
  assert.equal(lotsToQuantity(instrument, first + second), '0.3')

  // 0.1 × 0.1 + 0.2 × 0.2 = 0.05 exactly.
  const notional = 1n * BigInt(first) + 2n * BigInt(second)
  assert.equal(notionalToString(instrument, notional), '0.05')
  assert.equal(averagePrice(instrument, notional, first + second), '0.16666667')
})

test('notional equals exact product', () => {
  const instrument = createInstrument('FINE', {
    tickSize: '0.00000001',
    lotSize: '0.00000003',
    // The largest multiple of the lot up to 100000000.
    maxQuantity: '99999999.99999999',
  })
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: instrument.maxPriceTicks }),
      fc.integer({ min: 1, max: instrument.maxLots }),
      (priceTicks, lots) => {
        // price × quantity in units of 10^-16, from the formatted strings.
        const priceE8 = parseDecimalE8(ticksToPrice(instrument, priceTicks)) as bigint
        const quantityE8 = parseDecimalE8(lotsToQuantity(instrument, lots)) as bigint
        const expected = priceE8 * quantityE8
        const actual = notionalToString(instrument, BigInt(priceTicks) * BigInt(lots))
        const [whole, fraction = ''] = actual.split('.')
        assert.equal(BigInt(whole + fraction.padEnd(16, '0')), expected)
      },
    ),
    { numRuns: 300 },
  )
})

test('averagePrice rounds half even', () => {
  const unit = createInstrument('UNIT', { tickSize: '0.00000001', lotSize: '1' })
  assert.equal(averagePrice(unit, 1n, 2), '0')
  assert.equal(averagePrice(unit, 3n, 2), '0.00000002')
  assert.equal(averagePrice(unit, 5n, 2), '0.00000002')
  assert.equal(averagePrice(unit, 7n, 2), '0.00000004')
  assert.equal(averagePrice(unit, 0n, 0), null)

  const cents = defaultInstrument('XYZ')
  // 1 lot at 0.01 and 2 lots at 0.02: 0.05 / 3.
  assert.equal(averagePrice(cents, 1n + 4n, 3), '0.01666667')
  assert.equal(averagePrice(cents, 1025n * 4n, 4), '10.25')
})

test('eight decimal edges', () => {
  const instrument = createInstrument('SAT', {
    tickSize: '0.00000001',
    lotSize: '0.00000001',
    maxQuantity: '90071992.54740991',
    maxPrice: '90071992.54740991',
  })
  assert.equal(instrument.maxPriceTicks, MAX)
  assert.equal(instrument.maxLots, MAX)
  assert.equal(priceToTicks(instrument, '0.00000001'), 1)
  assert.equal(priceToTicks(instrument, '90071992.54740991'), MAX)
  assert.equal(priceToTicks(instrument, '90071992.54740992'), 'above_maximum')
  assert.equal(quantityToLots(instrument, '90071992.54740991'), MAX)
  assert.equal(ticksToPrice(instrument, MAX), '90071992.54740991')
  assert.equal(lotsToQuantity(instrument, MAX), '90071992.54740991')
  assert.equal(
    notionalToString(instrument, BigInt(MAX) * BigInt(MAX)),
    '8112963841460666.3681390495662081',
  )
})

test('createInstrument rejects bad specs', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['zero tick', { tickSize: '0', lotSize: '1' }, /tickSize must be greater than zero/],
    ['tick with sign', { tickSize: '-0.01', lotSize: '1' }, /tickSize "-0.01" is not a plain decimal/],
    [
      'tick too fine',
      { tickSize: '0.000000001', lotSize: '1' },
      /tickSize "0.000000001" has more than 8 decimal places/,
    ],
    ['lot as number', { tickSize: '0.01', lotSize: 1 }, /lotSize must be a decimal string such as "0.01", got 1/],
    ['missing lot', { tickSize: '0.01' }, /lotSize must be a decimal string/],
    [
      'min above max',
      { tickSize: '0.01', lotSize: '1', minQuantity: '10', maxQuantity: '5' },
      /minQuantity 10 is above maxQuantity 5/,
    ],
    [
      'max price below tick',
      { tickSize: '1', lotSize: '1', maxPrice: '0.5' },
      /"BAD": maxPrice 0\.5 is below one tick \(tickSize 1\)$/,
    ],
    [
      'unsafe ticks',
      { tickSize: '0.00000001', lotSize: '1', maxPrice: '1000000000' },
      /: maxPrice 1000000000 \/ tickSize 0\.00000001 is 100000000000000000 ticks, above the safe integer limit/,
    ],
    [
      'unsafe lots',
      { tickSize: '0.01', lotSize: '0.00000001' },
      /: the default maxQuantity 1000000000 \/ lotSize 0\.00000001 is 100000000000000000 lots/,
    ],
    [
      'min quantity off the lot grid',
      { tickSize: '0.01', lotSize: '10', minQuantity: '11', maxQuantity: '20' },
      /"BAD": minQuantity 11 is not a multiple of lotSize 10: the nearest multiples are 10 and 20$/,
    ],
    [
      'max quantity off the lot grid',
      { tickSize: '0.01', lotSize: '10', maxQuantity: '19' },
      /"BAD": maxQuantity 19 is not a multiple of lotSize 10: the nearest multiples are 10 and 20$/,
    ],
    [
      'max price off the tick grid',
      { tickSize: '0.05', lotSize: '1', maxPrice: '1000.01' },
      /"BAD": maxPrice 1000\.01 is not a multiple of tickSize 0\.05: the nearest multiples are 1000 and 1000\.05$/,
    ],
    [
      'max quantity below one lot',
      { tickSize: '0.01', lotSize: '1', maxQuantity: '0.5' },
      /"BAD": maxQuantity 0\.5 is below one lot \(lotSize 1\)$/,
    ],
    [
      'min quantity below one lot',
      { tickSize: '0.01', lotSize: '1', minQuantity: '0.5' },
      /"BAD": minQuantity 0\.5 is below one lot \(lotSize 1\)$/,
    ],
    [
      'min above the default max',
      { tickSize: '0.01', lotSize: '1', minQuantity: '2000000000' },
      /minQuantity 2000000000 is above the default maxQuantity 1000000000$/,
    ],
    [
      'lot above the default max',
      { tickSize: '0.01', lotSize: '2000000000' },
      /"BAD": lotSize 2000000000 is above the default maxQuantity 1000000000, so set maxQuantity$/,
    ],
    [
      'tick above the default max price',
      { tickSize: '2000000', lotSize: '1' },
      /"BAD": tickSize 2000000 is above the default maxPrice 1000000, so set maxPrice$/,
    ],
  ]
  for (const [name, spec, message] of cases) {
    assert.throws(
      () => createInstrument('BAD', spec as never),
      (error: unknown) => error instanceof InstrumentConfigError && message.test(error.message),
      name,
    )
  }
  assert.throws(() => createInstrument('', { tickSize: '1', lotSize: '1' }), /symbol must be a non-empty string/)
})

test('on-grid limits kept as given', () => {
  const instrument = createInstrument('GRID', {
    tickSize: '0.05',
    lotSize: '10',
    minQuantity: '20',
    maxQuantity: '1000',
    maxPrice: '99.95',
  })
  assert.equal(instrument.minQuantity, '20')
  assert.equal(instrument.maxQuantity, '1000')
  assert.equal(instrument.maxPrice, '99.95')
  assert.equal(quantityToLots(instrument, '1000'), 100)
  assert.equal(priceToTicks(instrument, '99.95'), 1999)
})

test('default limits round down to grid', () => {
  // 1000000 is not a multiple of 0.03, nor 1000000000 of 0.3.
  const instrument = createInstrument('ODD', { tickSize: '0.03', lotSize: '0.3' })
  assert.equal(instrument.maxPrice, '999999.99')
  assert.equal(instrument.maxQuantity, '999999999.9')
  assert.equal(instrument.minQuantity, '0.3')
  assert.equal(priceToTicks(instrument, '999999.99'), 33_333_333)
  assert.equal(priceToTicks(instrument, '1000000.02'), 'above_maximum')
  assert.equal(quantityToLots(instrument, '999999999.9'), 3_333_333_333)
})

test('registry rejects a repeated symbol', () => {
  const spec = { tickSize: '0.01', lotSize: '1' }
  assert.throws(
    () => new InstrumentRegistry([createInstrument('AAPL', spec), createInstrument('AAPL', spec)]),
    (error: unknown) =>
      error instanceof InstrumentConfigError && error.message === 'instrument "AAPL" is listed twice: list each symbol once',
  )
})

test('registry from JSON', () => {
  const registry = parseInstrumentRegistry({
    AAPL: { tickSize: '0.01', lotSize: '1' },
    BTC: { tickSize: '0.5', lotSize: '0.00001', minQuantity: '0.001', maxQuantity: '100', maxPrice: '10000000' },
  })
  assert.deepEqual(registry.symbols(), ['AAPL', 'BTC'])
  assert.equal(registry.isConfigured('AAPL'), true)
  assert.equal(registry.isConfigured('MSFT'), false)

  const apple = registry.get('AAPL')
  assert.equal(apple.lotSize, '1')
  assert.equal(apple.minQuantity, '1')
  assert.equal(apple.maxQuantity, '1000000000')
  assert.equal(quantityToLots(apple, '1.5'), 'not_multiple_of_lot')

  const bitcoin = registry.get('BTC')
  assert.equal(priceToTicks(bitcoin, '65000.5'), 130001)
  assert.equal(quantityToLots(bitcoin, '0.0001'), 'below_minimum')
  assert.equal(quantityToLots(bitcoin, '0.00123'), 123)

  const unlisted = registry.get('MSFT')
  assert.equal(unlisted.symbol, 'MSFT')
  assert.equal(unlisted.tickSize, '0.01')
})

test('registry rejects bad JSON', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['array', [], /instruments must be a JSON object keyed by symbol/],
    ['null', null, /instruments must be a JSON object/],
    ['entry not object', { AAPL: '0.01' }, /instrument "AAPL" must be an object with tickSize and lotSize/],
    ['missing tickSize', { AAPL: { lotSize: '1' } }, /instrument "AAPL": tickSize is missing/],
    [
      'unknown field',
      { AAPL: { tickSize: '0.01', lotSize: '1', tick: '1' } },
      /unknown field "tick"\. Expected one of tickSize, lotSize/,
    ],
    [
      'number value',
      { AAPL: { tickSize: 0.01, lotSize: '1' } },
      /tickSize must be a decimal string such as "0.01", got 0.01/,
    ],
    [
      'bad maxPrice',
      { AAPL: { tickSize: '0.01', lotSize: '1', maxPrice: '1e6' } },
      /maxPrice "1e6" is not a plain decimal/,
    ],
    [
      'maxPrice off the tick grid',
      { AAPL: { tickSize: '0.01', lotSize: '1', maxPrice: '150.255' } },
      /instrument "AAPL": maxPrice 150\.255 is not a multiple of tickSize 0\.01/,
    ],
    [
      'maxQuantity below one lot',
      { AAPL: { tickSize: '0.01', lotSize: '1', maxQuantity: '0.5' } },
      /instrument "AAPL": maxQuantity 0\.5 is below one lot \(lotSize 1\)/,
    ],
  ]
  for (const [name, config, message] of cases) {
    assert.throws(
      () => parseInstrumentRegistry(config),
      (error: unknown) => error instanceof InstrumentConfigError && message.test(error.message),
      name,
    )
  }
})
