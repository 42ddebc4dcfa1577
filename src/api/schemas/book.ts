/**
 * JSON schemas of GET /book/:symbol.
 */

import { errorResponseSchema, symbolSchema } from './common.ts'

const levelSchema = {
  type: 'object',
  required: ['price', 'quantity', 'orders'],
  properties: {
    price: { type: 'string' },
    quantity: { type: 'string', description: 'Total remaining quantity resting at the price.' },
    orders: { type: 'integer', description: 'Number of resting orders at the price.' },
  },
} as const

export const bookSchema = {
  tags: ['book'],
  summary: 'Aggregated order book of one symbol, best price first',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['symbol'],
    properties: { symbol: symbolSchema },
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      depth: { type: 'integer', minimum: 1, maximum: 100, default: 10, description: 'Price levels per side.' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['symbol', 'bids', 'asks'],
      properties: {
        symbol: { type: 'string' },
        bids: { type: 'array', items: levelSchema },
        asks: { type: 'array', items: levelSchema },
      },
    },
    400: errorResponseSchema,
    503: errorResponseSchema,
  },
} as const

export interface BookParams {
  symbol: string
}

export interface BookQuery {
  depth: number
}
