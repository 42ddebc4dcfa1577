/**
 * Patterns and schema fragments shared by the routes' JSON schemas.
 */

import { MAX_DECIMAL_LENGTH } from '../decimals.ts'

/**
 * Symbols are 1-16 characters of upper-case letters, digits, '.', '_' and
 * '-', starting with a letter or digit. Lower case is rejected rather than
 * upper-cased: the symbol is the log key and the book name, so "aapl" and
 * "AAPL" would otherwise name two books, and a silent rewrite would return
 * a value the client never sent.
 */
export const SYMBOL_PATTERN = '^[A-Z0-9][A-Z0-9._-]{0,15}$'

/** Client ids and client order ids: 1-64 characters of A-Z a-z 0-9 . _ : - */
export const ID_PATTERN = '^[A-Za-z0-9._:-]{1,64}$'

export const symbolSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 16,
  pattern: SYMBOL_PATTERN,
  description: 'Instrument symbol: 1-16 of A-Z 0-9 . _ -, starting with a letter or digit; upper case only.',
} as const

export const idSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: ID_PATTERN,
} as const

/**
 * Builds the schema of a decimal field. JSON numbers arrive as their exact
 * source text (see json-parser.ts), so the value is a string by the time Ajv
 * runs. The `x-order-decimals` keyword checks the instrument rules.
 */
export function decimalSchema(description: string) {
  return {
    type: 'string',
    maxLength: MAX_DECIMAL_LENGTH,
    description: `${description} Exact decimal, as a JSON string or number; no exponent.`,
    examples: ['10.25'],
  } as const
}

export const errorResponseSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'Stable error code, such as validation_failed or log_unavailable.' },
    message: { type: 'string' },
    details: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'rule', 'message'],
        properties: {
          field: { type: 'string' },
          rule: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const
