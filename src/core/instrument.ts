/**
 * Per-symbol trading rules and the conversion between decimal strings and the
 * integer ticks and lots the matching core works with. Decimal strings are
 * formatted in the canonical shortest form described in decimal.ts.
 */

import {
  divideHalfEven,
  formatDecimalE8,
  formatScaled,
  MAX_DECIMAL_PLACES,
  parseDecimalE8,
} from './decimal.ts'

export type PriceViolation =
  | 'not_a_decimal'
  | 'too_many_decimals'
  | 'not_positive'
  | 'above_maximum'
  | 'not_multiple_of_tick'

export type QuantityViolation =
  | 'not_a_decimal'
  | 'too_many_decimals'
  | 'not_positive'
  | 'below_minimum'
  | 'above_maximum'
  | 'not_multiple_of_lot'

/** Configuration of one symbol as decimal strings. Omitted limits take the defaults. */
export interface InstrumentSpec {
  tickSize: string
  lotSize: string
  /** Smallest accepted order quantity, a multiple of lotSize. Defaults to lotSize. */
  minQuantity?: string
  /**
   * Largest accepted order quantity, a multiple of lotSize. Defaults to the
   * largest multiple of lotSize up to "1000000000".
   */
  maxQuantity?: string
  /**
   * Largest accepted limit price, a multiple of tickSize. Defaults to the
   * largest multiple of tickSize up to "1000000".
   */
  maxPrice?: string
}

/**
 * A validated instrument. Each limit is a multiple of the tick size (the
 * price) or of the lot size (the quantities), so it is itself a valid price
 * or quantity. The E8 fields hold the decimal values times 10^8.
 */
export interface Instrument {
  readonly symbol: string
  readonly tickSize: string
  readonly lotSize: string
  readonly minQuantity: string
  readonly maxQuantity: string
  readonly maxPrice: string
  readonly tickSizeE8: bigint
  readonly lotSizeE8: bigint
  readonly minQuantityE8: bigint
  readonly maxQuantityE8: bigint
  readonly maxPriceE8: bigint
  /** Largest valid price in ticks, a safe integer. */
  readonly maxPriceTicks: number
  /** Largest valid quantity in lots, a safe integer. */
  readonly maxLots: number
}

export const DEFAULT_TICK_SIZE = '0.01'
export const DEFAULT_LOT_SIZE = '0.0001'
export const DEFAULT_MAX_PRICE = '1000000'
export const DEFAULT_MAX_QUANTITY = '1000000000'

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/** Error for invalid instrument configuration, thrown at startup and never for user input. */
export class InstrumentConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InstrumentConfigError'
  }
}

function parseSetting(symbol: string, field: string, value: unknown): bigint {
  const prefix = `instrument ${JSON.stringify(symbol)}: ${field}`
  if (typeof value !== 'string') {
    throw new InstrumentConfigError(
      `${prefix} must be a decimal string such as "0.01", got ${JSON.stringify(value)}`,
    )
  }

  const parsed = parseDecimalE8(value)
  if (parsed === 'too_many_decimals') {
    throw new InstrumentConfigError(
      `${prefix} ${JSON.stringify(value)} has more than ${MAX_DECIMAL_PLACES} decimal places`,
    )
  }
  if (typeof parsed !== 'bigint') {
    throw new InstrumentConfigError(
      `${prefix} ${JSON.stringify(value)} is not a plain decimal such as "0.01" ` +
        '(digits, an optional single ".", no sign, exponent or leading zeros)',
    )
  }
  if (parsed <= 0n) {
    throw new InstrumentConfigError(`${prefix} must be greater than zero, got ${JSON.stringify(value)}`)
  }
  return parsed
}

/** A limit of a spec: its text, its value times 10^8, and whether the spec set it. */
interface Limit {
  field: 'minQuantity' | 'maxQuantity' | 'maxPrice'
  text: string
  e8: bigint
  configured: boolean
}

/** Step that a limit must be a multiple of: tickSize for prices, lotSize for quantities. */
interface Step {
  field: 'tickSize' | 'lotSize'
  unit: 'tick' | 'lot'
  text: string
  e8: bigint
}

/** Formats a limit for an error message: "maxQuantity 5" or "the default maxQuantity 1000000000". */
function describeLimit(limit: Limit): string {
  return `${limit.configured ? '' : 'the default '}${limit.field} ${limit.text}`
}

/**
 * Parses a configured limit and checks that it is a multiple of its step, so
 * that the limit is itself a valid price or quantity.
 */
function configuredLimit(symbol: string, field: Limit['field'], text: string, step: Step): Limit {
  const prefix = `instrument ${JSON.stringify(symbol)}: ${field} ${text}`
  const e8 = parseSetting(symbol, field, text)
  if (e8 < step.e8) {
    throw new InstrumentConfigError(`${prefix} is below one ${step.unit} (${step.field} ${step.text})`)
  }
  if (e8 % step.e8 !== 0n) {
    const below = (e8 / step.e8) * step.e8
    throw new InstrumentConfigError(
      `${prefix} is not a multiple of ${step.field} ${step.text}: ` +
        `the nearest multiples are ${formatDecimalE8(below)} and ${formatDecimalE8(below + step.e8)}`,
    )
  }
  return { field, text, e8, configured: true }
}

/** Computes the default of a limit that the spec leaves out, rounded down to a multiple of its step. */
function defaultLimit(symbol: string, field: Limit['field'], fallback: string, step: Step): Limit {
  const e8 = ((parseDecimalE8(fallback) as bigint) / step.e8) * step.e8
  if (e8 === 0n) {
    throw new InstrumentConfigError(
      `instrument ${JSON.stringify(symbol)}: ${step.field} ${step.text} is above the default ` +
        `${field} ${fallback}, so set ${field}`,
    )
  }
  return { field, text: formatDecimalE8(e8), e8, configured: false }
}

/**
 * Validates a spec and derives the integer limits. Throws
 * InstrumentConfigError naming the symbol, the field and the fix.
 */
export function createInstrument(symbol: string, spec: InstrumentSpec): Instrument {
  if (typeof symbol !== 'string' || symbol === '') {
    throw new InstrumentConfigError('instrument symbol must be a non-empty string')
  }

  const prefix = `instrument ${JSON.stringify(symbol)}`
  const tick: Step = {
    field: 'tickSize',
    unit: 'tick',
    text: spec.tickSize,
    e8: parseSetting(symbol, 'tickSize', spec.tickSize),
  }
  const lot: Step = {
    field: 'lotSize',
    unit: 'lot',
    text: spec.lotSize,
    e8: parseSetting(symbol, 'lotSize', spec.lotSize),
  }

  const limit = (field: Limit['field'], text: string | undefined, fallback: string, step: Step): Limit =>
    text === undefined ? defaultLimit(symbol, field, fallback, step) : configuredLimit(symbol, field, text, step)
  const minQuantity = limit('minQuantity', spec.minQuantity, spec.lotSize, lot)
  const maxQuantity = limit('maxQuantity', spec.maxQuantity, DEFAULT_MAX_QUANTITY, lot)
  const maxPrice = limit('maxPrice', spec.maxPrice, DEFAULT_MAX_PRICE, tick)

  const maxPriceTicks = maxPrice.e8 / tick.e8
  if (maxPriceTicks > MAX_SAFE) {
    throw new InstrumentConfigError(
      `${prefix}: ${describeLimit(maxPrice)} / tickSize ${tick.text} is ${maxPriceTicks} ticks, above the ` +
        `safe integer limit ${Number.MAX_SAFE_INTEGER}. Set a lower maxPrice or raise tickSize`,
    )
  }

  if (minQuantity.e8 > maxQuantity.e8) {
    throw new InstrumentConfigError(`${prefix}: ${describeLimit(minQuantity)} is above ${describeLimit(maxQuantity)}`)
  }
  const maxLots = maxQuantity.e8 / lot.e8
  if (maxLots > MAX_SAFE) {
    throw new InstrumentConfigError(
      `${prefix}: ${describeLimit(maxQuantity)} / lotSize ${lot.text} is ${maxLots} lots, above the ` +
        `safe integer limit ${Number.MAX_SAFE_INTEGER}. Set a lower maxQuantity or raise lotSize`,
    )
  }

  return Object.freeze({
    symbol,
    tickSize: tick.text,
    lotSize: lot.text,
    minQuantity: minQuantity.text,
    maxQuantity: maxQuantity.text,
    maxPrice: maxPrice.text,
    tickSizeE8: tick.e8,
    lotSizeE8: lot.e8,
    minQuantityE8: minQuantity.e8,
    maxQuantityE8: maxQuantity.e8,
    maxPriceE8: maxPrice.e8,
    maxPriceTicks: Number(maxPriceTicks),
    maxLots: Number(maxLots),
  })
}

const DEFAULT_TEMPLATE = createInstrument('DEFAULT', {
  tickSize: DEFAULT_TICK_SIZE,
  lotSize: DEFAULT_LOT_SIZE,
})

/**
 * Returns the instrument for a symbol without configuration: tick 0.01, lot
 * 0.0001, minimum quantity one lot, maximum quantity 1000000000 and maximum
 * price 1000000.
 */
export function defaultInstrument(symbol: string): Instrument {
  return Object.freeze({ ...DEFAULT_TEMPLATE, symbol })
}

/** Converts a limit price string to ticks, or returns the rule it breaks. */
export function priceToTicks(instrument: Instrument, price: string): number | PriceViolation {
  const priceE8 = parseDecimalE8(price)
  if (priceE8 === 'too_large') {
    return 'above_maximum'
  }
  if (typeof priceE8 !== 'bigint') {
    return priceE8
  }
  if (priceE8 <= 0n) {
    return 'not_positive'
  }
  if (priceE8 > instrument.maxPriceE8) {
    return 'above_maximum'
  }
  if (priceE8 % instrument.tickSizeE8 !== 0n) {
    return 'not_multiple_of_tick'
  }
  return Number(priceE8 / instrument.tickSizeE8)
}

/** Converts a quantity string to lots, or returns the rule it breaks. */
export function quantityToLots(
  instrument: Instrument,
  quantity: string,
): number | QuantityViolation {
  const quantityE8 = parseDecimalE8(quantity)
  if (quantityE8 === 'too_large') {
    return 'above_maximum'
  }
  if (typeof quantityE8 !== 'bigint') {
    return quantityE8
  }
  if (quantityE8 <= 0n) {
    return 'not_positive'
  }
  if (quantityE8 < instrument.minQuantityE8) {
    return 'below_minimum'
  }
  if (quantityE8 > instrument.maxQuantityE8) {
    return 'above_maximum'
  }
  if (quantityE8 % instrument.lotSizeE8 !== 0n) {
    return 'not_multiple_of_lot'
  }
  return Number(quantityE8 / instrument.lotSizeE8)
}

function requireCount(name: string, value: number): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`)
  }
  return BigInt(value)
}

/** Formats ticks as a price. Throws RangeError for a negative or unsafe count. */
export function ticksToPrice(instrument: Instrument, priceTicks: number): string {
  return formatDecimalE8(requireCount('priceTicks', priceTicks) * instrument.tickSizeE8)
}

/** Formats lots as a quantity. Throws RangeError for a negative or unsafe count. */
export function lotsToQuantity(instrument: Instrument, quantityLots: number): string {
  return formatDecimalE8(requireCount('quantityLots', quantityLots) * instrument.lotSizeE8)
}

/** Formats a notional in ticks × lots as an exact price × quantity amount. */
export function notionalToString(instrument: Instrument, notional: bigint): string {
  return formatScaled(notional * instrument.tickSizeE8 * instrument.lotSizeE8, 2 * MAX_DECIMAL_PLACES)
}

/**
 * Returns notional / filled quantity as a price rounded half-even to 8
 * decimals, or null before the first fill.
 */
export function averagePrice(
  instrument: Instrument,
  notional: bigint,
  filledLots: number,
): string | null {
  if (filledLots === 0) {
    return null
  }

  // notional × tick × lot / (filledLots × lot): the lot size cancels out.
  const averageE8 = divideHalfEven(
    notional * instrument.tickSizeE8,
    requireCount('filledLots', filledLots),
  )
  return formatDecimalE8(averageE8)
}
