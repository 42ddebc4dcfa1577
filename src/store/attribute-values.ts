/**
 * Marshalling of the store's flat records into DynamoDB attribute values,
 * for the persist path, whose requests go through dynamo-http.ts and carry
 * each item marshalled once.
 */

import type { AttributeValue } from '@aws-sdk/client-dynamodb'

export type AttributeMap = Record<string, AttributeValue>

/** Scalar field of a stored record. */
type FlatValue = string | number | boolean | null | undefined

/**
 * Marshals a record whose fields are strings, numbers, booleans, null or
 * undefined. Undefined fields are left out, as the document client's
 * removeUndefinedValues does. Throws a RangeError for a number that
 * DynamoDB would not store exactly as written (NaN, an infinity or an
 * integer outside the safe range) and a TypeError for any other type.
 */
export function marshallFlat(record: object): AttributeMap {
  const item: AttributeMap = {}
  for (const [name, value] of Object.entries(record) as [string, FlatValue][]) {
    switch (typeof value) {
      case 'string':
        item[name] = { S: value }
        break
      case 'number':
        item[name] = { N: numberText(name, value) }
        break
      case 'boolean':
        item[name] = { BOOL: value }
        break
      case 'undefined':
        break
      default:
        if (value === null) {
          item[name] = { NULL: true }
          break
        }
        throw new TypeError(`field ${name} is a ${typeof value}, but only scalar fields are marshalled`)
    }
  }
  return item
}

function numberText(name: string, value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`field ${name} is ${value}, which DynamoDB cannot store`)
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new RangeError(`field ${name} is ${value}, an integer outside the safe range that would lose precision`)
  }
  return String(value)
}
