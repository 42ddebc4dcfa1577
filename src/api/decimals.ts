/**
 * Checks of decimal request fields (prices and quantities) against an
 * instrument. The instrument rules are the matching core's own, so the API
 * rejects exactly what the engine would. This module only adds finer rule
 * names for text that is not a plain decimal at all.
 */

import {
  priceToTicks,
  quantityToLots,
  type Instrument,
  type PriceViolation,
  type QuantityViolation,
} from '../core/instrument.ts'
import { formatDecimalE8, parseDecimalE8 } from '../core/decimal.ts'

export type DecimalField = 'price' | 'quantity'

/** Rule names returned to clients in error details. */
export type DecimalRule =
  | PriceViolation
  | QuantityViolation
  | 'exponent_notation'
  | 'not_finite'
  | 'negative'

export type DecimalCheck =
  | { ok: true }
  | { ok: false; rule: DecimalRule; message: string }

/**
 * Maximum length of decimal text in the schemas: 30 integer digits, the
 * point and 8 decimals, the maximum the core parses before it calls a value
 * too large.
 */
export const MAX_DECIMAL_LENGTH = 39

const EXPONENT = /^([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+$/
const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i

/**
 * Checks one price or quantity as the client sent it and returns the first
 * rule broken. The core's order applies: syntax, at most 8 decimals, greater
 * than 0, the instrument's limits, then a multiple of the tick size (price)
 * or lot size (quantity). Trailing zeros are fine: "10.500" is a multiple
 * of a 0.01 tick, while "10.001" is not.
 */
export function checkDecimalField(text: string, field: DecimalField, instrument: Instrument): DecimalCheck {
  const syntax = checkSyntax(text)
  if (!syntax.ok) return syntax

  const result = field === 'price' ? priceToTicks(instrument, text) : quantityToLots(instrument, text)
  if (typeof result === 'number') return { ok: true }

  return { ok: false, rule: result, message: describeViolation(result, field, text, instrument) }
}

/** Names the common ways text fails to be a plain decimal, which the core calls not_a_decimal. */
function checkSyntax(text: string): DecimalCheck {
  if (NOT_FINITE.test(text)) {
    return { ok: false, rule: 'not_finite', message: `must be a finite decimal number (got "${text}")` }
  }
  if (text.startsWith('-')) {
    return { ok: false, rule: 'negative', message: `must be greater than 0 (got "${text}")` }
  }
  if (EXPONENT.test(text)) {
    return {
      ok: false,
      rule: 'exponent_notation',
      message: `must be written as plain digits, without an exponent (got "${text}")`,
    }
  }
  return { ok: true }
}

function describeViolation(
  rule: PriceViolation | QuantityViolation,
  field: DecimalField,
  text: string,
  instrument: Instrument,
): string {
  const got = `(got "${text}")`
  const maximum = field === 'price' ? instrument.maxPrice : instrument.maxQuantity

  switch (rule) {
    case 'not_a_decimal':
      return `must be digits with an optional fraction, like "10.25", with no sign, spaces or leading zeros ${got}`
    case 'too_many_decimals':
      return `must have at most 8 decimals ${got}`
    case 'not_positive':
      return `must be greater than 0 ${got}`
    case 'not_multiple_of_tick':
      return `must be a multiple of the tick size ${instrument.tickSize} of ${instrument.symbol} ${got}`
    case 'not_multiple_of_lot':
      return `must be a multiple of the lot size ${instrument.lotSize} of ${instrument.symbol} ${got}`
    case 'below_minimum':
      return `must be at least ${instrument.minQuantity} for ${instrument.symbol} ${got}`
    case 'above_maximum':
      return `must be at most ${maximum} for ${instrument.symbol} ${got}`
  }
}

/**
 * Returns a validated decimal in the canonical form every output uses
 * ("1.10" becomes "1.1"), so the 202 and later reads agree.
 */
export function canonicalDecimal(text: string): string {
  const value = parseDecimalE8(text)
  if (typeof value !== 'bigint') throw new RangeError(`not a valid decimal: ${JSON.stringify(text)}`)
  return formatDecimalE8(value)
}
