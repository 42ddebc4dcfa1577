/**
 * Request validation with two Ajv instances. The one for bodies never
 * coerces types, so a number where an id string belongs is an error rather
 * than "123". The one for query strings and path parameters coerces their
 * text to the schema's integers and booleans. Ajv errors become the
 * `{ field, rule, message }` details that clients receive.
 */

import { Ajv, type ErrorObject, type Options } from 'ajv'
import type { FastifySchemaCompiler } from 'fastify'

import type { ErrorDetail } from '../errors.ts'
import { checkDecimalField } from './decimals.ts'
import { DECIMAL_KEYS } from './json-parser.ts'
import type { InstrumentRegistry } from '../core/instrument-registry.ts'

/**
 * Value of the `x-order-decimals` keyword: which properties of the body hold
 * the symbol, price, quantity and order type. Without `type` the order is a
 * limit order and its price is required.
 */
export interface OrderDecimalsKeyword {
  symbol: string
  price: string
  quantity: string
  type?: string
}

/**
 * allErrors makes Ajv report every broken rule at once. Fastify turns it off
 * by default because some schemas then cost time proportional to hostile
 * input. The schemas here have no unbounded arrays or nested objects, and
 * BODY_LIMIT_BYTES bounds the body.
 */
const BASE_OPTIONS: Options = {
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  strict: true,
}

/** Creates the Fastify validator compiler for every route of the app. */
export function createValidatorCompiler(instruments: InstrumentRegistry): FastifySchemaCompiler<unknown> {
  const bodyAjv = new Ajv({ ...BASE_OPTIONS, coerceTypes: false })
  const textAjv = new Ajv({ ...BASE_OPTIONS, coerceTypes: true })

  addOrderDecimalsKeyword(bodyAjv, instruments)

  return ({ schema, httpPart }) => {
    if (httpPart === 'body') return bodyAjv.compile(schema as object)
    return strictIntegerText(schema as TextSchema, textAjv.compile(schema as object))
  }
}

interface TextSchema {
  properties?: Record<string, { type?: unknown }>
}

type TextValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }

/** Plain decimal digits without leading zeros. Ajv's coercion also accepts 0x10, 1e1, ' 16' and '16.0'. */
const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/

/**
 * Wraps a query or path validator so that an integer property accepts only
 * plain decimal digits before Ajv coerces the text.
 */
function strictIntegerText(schema: TextSchema, validate: TextValidator): TextValidator {
  const integers = Object.entries(schema.properties ?? {})
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name)
  if (integers.length === 0) return validate

  const strict: TextValidator = (data) => {
    const values = data as Record<string, unknown>
    const errors = integers
      .filter((name) => typeof values[name] === 'string' && !INTEGER_TEXT.test(values[name]))
      .map((name): ErrorObject => ({
        instancePath: `/${name}`,
        schemaPath: `#/properties/${name}/type`,
        keyword: 'type',
        message: 'must be of type integer',
        params: { type: 'integer' },
      }))
    if (errors.length > 0) {
      strict.errors = errors
      return false
    }

    const valid = validate(data)
    strict.errors = validate.errors
    return valid
  }
  return strict
}

/**
 * Adds `x-order-decimals`. It checks the decimal fields of an order body
 * against the instrument of its symbol, and it checks that a limit order has
 * a price and a market order has none. Its errors point at the decimal
 * property and carry the rule as their keyword, so they map to details like
 * any other Ajv error.
 */
function addOrderDecimalsKeyword(ajv: Ajv, instruments: InstrumentRegistry): void {
  ajv.addKeyword({
    keyword: 'x-order-decimals',
    type: 'object',
    schemaType: 'object',
    errors: true,
    compile(keyword: OrderDecimalsKeyword) {
      const validate = (data: Record<string, unknown>): boolean => {
        const errors = checkOrderDecimals(data, keyword, instruments)
        validate.errors = errors
        return errors.length === 0
      }
      validate.errors = [] as Partial<ErrorObject>[]
      return validate
    },
  })
}

function checkOrderDecimals(
  data: Record<string, unknown>,
  keyword: OrderDecimalsKeyword,
  instruments: InstrumentRegistry,
): Partial<ErrorObject>[] {
  const errors: Partial<ErrorObject>[] = []
  const symbol = data[keyword.symbol]
  const instrument = instruments.get(typeof symbol === 'string' ? symbol : '')
  const type = keyword.type === undefined ? 'limit' : data[keyword.type]
  const price = data[keyword.price]
  const quantity = data[keyword.quantity]
  const hasPrice = price !== undefined && price !== null

  if (type === 'market' && hasPrice) {
    errors.push(ruleError(keyword.price, 'not_allowed_for_market', 'must be absent for a market order'))
  } else if (type === 'limit' && !hasPrice) {
    // Shaped like Ajv's own `required` error, so that it maps and deduplicates the same way.
    errors.push({
      instancePath: '',
      keyword: 'required',
      message: 'is required for a limit order',
      params: { missingProperty: keyword.price },
    })
  } else if (typeof price === 'string') {
    const check = checkDecimalField(price, 'price', instrument)
    if (!check.ok) errors.push(ruleError(keyword.price, check.rule, check.message))
  }

  if (typeof quantity === 'string') {
    const check = checkDecimalField(quantity, 'quantity', instrument)
    if (!check.ok) errors.push(ruleError(keyword.quantity, check.rule, check.message))
  }

  return errors
}

function ruleError(property: string, rule: string, message: string): Partial<ErrorObject> {
  return { instancePath: `/${property}`, keyword: rule, message, params: {} }
}

/**
 * Maps Ajv errors to client details. Fields are property names as the
 * client sent them, nested ones joined by dots. An error about the whole
 * body or query names `body` or `query`.
 */
export function toErrorDetails(errors: ErrorObject[], context: string): ErrorDetail[] {
  const details: ErrorDetail[] = []
  const seen = new Set<string>()

  for (const error of errors) {
    const detail = toErrorDetail(error, context)
    const key = `${detail.field}\u0000${detail.rule}`
    if (seen.has(key)) continue
    seen.add(key)
    details.push(detail)
  }

  // A field sent with the wrong type (a null price) also fails the rules that
  // require it. One detail per field is enough, so the required one is dropped.
  const reported = new Set(details.filter((detail) => detail.rule !== 'required').map((detail) => detail.field))
  return details.filter((detail) => detail.rule !== 'required' || !reported.has(detail.field))
}

function toErrorDetail(error: ErrorObject, context: string): ErrorDetail {
  const path = error.instancePath.split('/').slice(1).map(unescapePointer)
  const field = (name: string) => [...path, name].join('.')
  const instanceField = path.length > 0 ? path.join('.') : wholeName(context)
  const params = error.params as Record<string, unknown>

  switch (error.keyword) {
    case 'required':
      return {
        field: field(String(params.missingProperty)),
        rule: 'required',
        message: error.message?.startsWith('is ') ? error.message : 'is required',
      }
    case 'additionalProperties':
      return {
        field: field(String(params.additionalProperty)),
        rule: 'unknown_field',
        message: 'is not a known field',
      }
    case 'enum':
      return {
        field: instanceField,
        rule: 'enum',
        message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}`,
      }
    case 'type':
      return { field: instanceField, rule: 'type', message: describeType(params.type, context, path) }
    case 'minLength':
      return { field: instanceField, rule: 'min_length', message: `must be at least ${params.limit} characters long` }
    case 'maxLength':
      return { field: instanceField, rule: 'max_length', message: `must be at most ${params.limit} characters long` }
    case 'minimum':
      return { field: instanceField, rule: 'minimum', message: `must be at least ${params.limit}` }
    case 'maximum':
      return { field: instanceField, rule: 'maximum', message: `must be at most ${params.limit}` }
    default:
      return { field: instanceField, rule: error.keyword, message: error.message ?? 'is invalid' }
  }
}

function describeType(type: unknown, context: string, path: string[]): string {
  const names = Array.isArray(type) ? type.join(' or ') : String(type)
  if (path.length === 0 && context === 'body' && names === 'object') return 'must be a JSON object'

  // The parser turns a JSON number in these fields into its text, so the
  // schema's type (string) names only half of what the field accepts.
  if (context === 'body' && path.length === 1 && DECIMAL_KEYS.has(path[0])) {
    const orNull = Array.isArray(type) && type.includes('null') ? ', or null' : ''
    return `must be a decimal, as a JSON number or a string like "10.25"${orNull}`
  }
  return `must be of type ${names}`
}

function wholeName(context: string): string {
  return context === 'querystring' ? 'query' : context
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~')
}
