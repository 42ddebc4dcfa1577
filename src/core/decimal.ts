/**
 * Exact conversion between decimal strings and scaled bigints. No binary
 * floating point is involved at any step.
 *
 * Formatting policy, used for every price, quantity, notional and average
 * price the core formats: the shortest exact form, with no trailing zeros in
 * the fraction and no '.' for whole numbers ("10.5", "10", "0.0001", "0").
 * Each value therefore has exactly one string form.
 */

/** Fractional digits a decimal input may carry. */
export const MAX_DECIMAL_PLACES = 8

/** 10^8: a value "E8" is the decimal value times this. */
export const E8 = 100_000_000n

/**
 * Integer digits accepted before parsing gives up. Every limit of an
 * instrument is far below 10^30, so a longer number is above any maximum,
 * and the cap keeps BigInt parsing of hostile input cheap.
 */
export const MAX_INTEGER_DIGITS = 30

export type DecimalViolation = 'not_a_decimal' | 'too_many_decimals' | 'too_large'

const DIGIT_0 = 48
const DIGIT_9 = 57
const DOT = 46

/**
 * Parses a plain decimal string into its value times 10^8.
 * Accepted: digits with an optional single '.' followed by 1 to 8 digits.
 * Rejected as not_a_decimal: signs, exponents, whitespace, a leading or
 * trailing '.', and leading zeros such as "007" (but "0" and "0.5" are valid).
 */
export function parseDecimalE8(text: string): bigint | DecimalViolation {
  if (typeof text !== 'string') {
    return 'not_a_decimal'
  }

  const length = text.length
  let dotIndex = -1
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i)
    if (code === DOT) {
      if (dotIndex !== -1) {
        return 'not_a_decimal'
      }
      dotIndex = i
    } else if (code < DIGIT_0 || code > DIGIT_9) {
      return 'not_a_decimal'
    }
  }

  const integerDigits = dotIndex === -1 ? length : dotIndex
  const fractionDigits = dotIndex === -1 ? 0 : length - dotIndex - 1
  if (integerDigits === 0) {
    return 'not_a_decimal'
  }
  if (dotIndex !== -1 && fractionDigits === 0) {
    return 'not_a_decimal'
  }
  if (integerDigits > 1 && text.charCodeAt(0) === DIGIT_0) {
    return 'not_a_decimal'
  }
  if (fractionDigits > MAX_DECIMAL_PLACES) {
    return 'too_many_decimals'
  }
  if (integerDigits > MAX_INTEGER_DIGITS) {
    return 'too_large'
  }

  const integerPart = BigInt(text.slice(0, integerDigits))
  if (fractionDigits === 0) {
    return integerPart * E8
  }

  const fraction = text.slice(dotIndex + 1).padEnd(MAX_DECIMAL_PLACES, '0')
  return integerPart * E8 + BigInt(fraction)
}

/**
 * Formats `value / 10^decimals` in the canonical shortest form.
 * Negative values get a leading '-' (the core itself only formats values >= 0).
 */
export function formatScaled(value: bigint, decimals: number): string {
  if (value < 0n) {
    return '-' + formatScaled(-value, decimals)
  }

  const digits = value.toString()
  if (decimals === 0) {
    return digits
  }

  const padded = digits.padStart(decimals + 1, '0')
  const integerPart = padded.slice(0, padded.length - decimals)
  let fraction = padded.slice(padded.length - decimals)

  let end = fraction.length
  while (end > 0 && fraction.charCodeAt(end - 1) === DIGIT_0) {
    end--
  }
  fraction = fraction.slice(0, end)

  return fraction === '' ? integerPart : `${integerPart}.${fraction}`
}

/** Formats a value held times 10^8. */
export function formatDecimalE8(valueE8: bigint): string {
  return formatScaled(valueE8, MAX_DECIMAL_PLACES)
}

/**
 * Divides and rounds half to even (banker's rounding), exact for any sign.
 * Throws RangeError on a zero denominator.
 */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) {
    throw new RangeError('division by zero')
  }
  if (denominator < 0n) {
    return divideHalfEven(-numerator, -denominator)
  }
  if (numerator < 0n) {
    return -divideHalfEven(-numerator, denominator)
  }

  const quotient = numerator / denominator
  const twiceRemainder = (numerator % denominator) * 2n
  if (twiceRemainder > denominator) {
    return quotient + 1n
  }
  if (twiceRemainder === denominator && quotient % 2n === 1n) {
    return quotient + 1n
  }
  return quotient
}
