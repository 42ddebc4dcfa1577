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
  /** Smallest accepted order quantity, lotSize by default. */
  minQuantity?: string
  /** Largest accepted order quantity, "1000000000" by default. */
  maxQuantity?: string
  /** Largest accepted limit price, "1000000" by default. */
  maxPrice?: string
}

/**
 * A validated instrument. The limits are bounds, not required multiples of
 * the tick or lot size. The E8 fields hold the decimal values times 10^8.
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

/**
 * Validates a spec and derives the integer limits. Throws
 * InstrumentConfigError naming the symbol, the field and the fix.
 */
export function createInstrument(symbol: string, spec: InstrumentSpec): Instrument {
  if (typeof symbol !== 'string' || symbol === '') {
    throw new InstrumentConfigError('instrument symbol must be a non-empty string')
  }

  const prefix = `instrument ${JSON.stringify(symbol)}`
  const tickSize = spec.tickSize
  const lotSize = spec.lotSize
  const minQuantity = spec.minQuantity ?? lotSize
  const maxQuantity = spec.maxQuantity ?? DEFAULT_MAX_QUANTITY
  const maxPrice = spec.maxPrice ?? DEFAULT_MAX_PRICE

  const tickSizeE8 = parseSetting(symbol, 'tickSize', tickSize)
  const lotSizeE8 = parseSetting(symbol, 'lotSize', lotSize)
  const minQuantityE8 = parseSetting(symbol, 'minQuantity', minQuantity)
  const maxQuantityE8 = parseSetting(symbol, 'maxQuantity', maxQuantity)
  const maxPriceE8 = parseSetting(symbol, 'maxPrice', maxPrice)

  if (maxPriceE8 < tickSizeE8) {
    throw new InstrumentConfigError(`${prefix}: maxPrice ${maxPrice} is below tickSize ${tickSize}`)
  }
  const maxPriceTicks = maxPriceE8 / tickSizeE8
  if (maxPriceTicks > MAX_SAFE) {
    throw new InstrumentConfigError(
      `${prefix}: maxPrice / tickSize is ${maxPriceTicks} ticks, above the safe integer ` +
        `limit ${Number.MAX_SAFE_INTEGER}. Lower maxPrice or raise tickSize`,
    )
  }

  if (minQuantityE8 > maxQuantityE8) {
    throw new InstrumentConfigError(
      `${prefix}: minQuantity ${minQuantity} is above maxQuantity ${maxQuantity}`,
    )
  }
  const maxLots = maxQuantityE8 / lotSizeE8
  if (maxLots > MAX_SAFE) {
    throw new InstrumentConfigError(
      `${prefix}: maxQuantity / lotSize is ${maxLots} lots, above the safe integer ` +
        `limit ${Number.MAX_SAFE_INTEGER}. Lower maxQuantity or raise lotSize`,
    )
  }
  const minLots = (minQuantityE8 + lotSizeE8 - 1n) / lotSizeE8
  if (minLots > maxLots) {
    throw new InstrumentConfigError(
      `${prefix}: no multiple of lotSize ${lotSize} lies between minQuantity ` +
        `${minQuantity} and maxQuantity ${maxQuantity}`,
    )
  }

  return Object.freeze({
    symbol,
    tickSize,
    lotSize,
    minQuantity,
    maxQuantity,
    maxPrice,
    tickSizeE8,
    lotSizeE8,
    minQuantityE8,
    maxQuantityE8,
    maxPriceE8,
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
