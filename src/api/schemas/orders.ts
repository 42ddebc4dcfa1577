/**
 * JSON schemas of the /orders routes: request validation (Ajv) and response
 * serialization, which also drops any store attribute not listed here.
 */

import { decimalSchema, errorResponseSchema, idSchema, symbolSchema } from './common.ts'

export const ORDER_STATUSES = ['accepted', 'open', 'partially_filled', 'filled', 'cancelled', 'rejected'] as const

export const newOrderBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['symbol', 'side', 'type', 'quantity'],
  'x-order-decimals': { symbol: 'symbol', price: 'price', quantity: 'quantity', type: 'type' },
  properties: {
    clientId: {
      ...idSchema,
      description: 'Client placing the order: 1-64 of A-Z a-z 0-9 . _ : -. Required unless the X-Client-Id header names it',
    },
    clientOrderId: { ...idSchema, description: "The client's own reference for the order." },
    symbol: symbolSchema,
    side: { type: 'string', enum: ['buy', 'sell'] },
    type: { type: 'string', enum: ['limit', 'market'] },
    price: {
      ...decimalSchema('Limit price, a multiple of the tick size; required for limit orders, absent or null ' +
        'for market orders.'),
      type: ['string', 'null'],
    },
    quantity: decimalSchema('Quantity, a multiple of the lot size.'),
    timeInForce: { type: 'string', enum: ['GTC', 'IOC', 'FOK'], default: 'GTC' },
  },
} as const

export interface NewOrderBody {
  clientId?: string
  clientOrderId?: string
  symbol: string
  side: 'buy' | 'sell'
  type: 'limit' | 'market'
  price?: string | null
  quantity: string
  timeInForce: 'GTC' | 'IOC' | 'FOK'
}

export const orderRecordSchema = {
  type: 'object',
  required: [
    'id', 'clientId', 'symbol', 'side', 'type', 'price', 'quantity', 'timeInForce', 'status',
    'filledQuantity', 'remainingQuantity', 'cancelledQuantity', 'notional', 'averagePrice', 'matched',
    'timestamp', 'updatedAt', 'version', 'source',
  ],
  properties: {
    id: { type: 'string' },
    clientId: { type: 'string' },
    clientOrderId: { type: 'string' },
    symbol: { type: 'string' },
    side: { type: 'string', enum: ['buy', 'sell'] },
    type: { type: 'string', enum: ['limit', 'market'] },
    price: { type: ['string', 'null'] },
    quantity: { type: 'string' },
    timeInForce: { type: 'string', enum: ['GTC', 'IOC', 'FOK'] },
    status: { type: 'string', enum: ORDER_STATUSES },
    reason: { type: 'string', description: 'Why the order was rejected or cancelled, e.g. fok_not_fillable.' },
    filledQuantity: { type: 'string' },
    remainingQuantity: { type: 'string' },
    cancelledQuantity: { type: 'string' },
    notional: { type: 'string', description: 'Sum of price × quantity over the fills.' },
    averagePrice: { type: ['string', 'null'] },
    matched: { type: 'boolean', description: 'True once the order has at least one fill.' },
    timestamp: { type: 'string', format: 'date-time', description: 'Acceptance time.' },
    updatedAt: { type: 'string', format: 'date-time' },
    version: { type: 'integer', description: 'Log offset of the command that last changed the order; -1 until the engine applies it.' },
    source: { type: 'string', enum: ['orders', 'ordenes', 'replay'] },
  },
} as const

export const orderIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: idSchema },
} as const

export interface OrderIdParams {
  id: string
}

export const listOrdersQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    symbol: symbolSchema,
    status: { type: 'string', enum: ORDER_STATUSES },
    matched: { type: 'boolean' },
    clientId: idSchema,
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
    cursor: { type: 'string', minLength: 1, maxLength: 2048, description: 'nextCursor of the previous page.' },
  },
} as const

export interface ListOrdersQuery {
  symbol?: string
  status?: (typeof ORDER_STATUSES)[number]
  matched?: boolean
  clientId?: string
  limit: number
  cursor?: string
}

const tradeRecordSchema = {
  type: 'object',
  required: [
    'tradeId', 'symbol', 'price', 'quantity', 'makerOrderId', 'takerOrderId', 'makerClientId',
    'takerClientId', 'takerSide', 'timestamp',
  ],
  properties: {
    tradeId: { type: 'string' },
    symbol: { type: 'string' },
    price: { type: 'string' },
    quantity: { type: 'string' },
    makerOrderId: { type: 'string' },
    takerOrderId: { type: 'string' },
    makerClientId: { type: 'string' },
    takerClientId: { type: 'string' },
    takerSide: { type: 'string', enum: ['buy', 'sell'] },
    timestamp: { type: 'string', format: 'date-time' },
  },
} as const

const orderNotActiveSchema = {
  ...errorResponseSchema,
  properties: {
    ...errorResponseSchema.properties,
    status: { type: 'string', enum: ORDER_STATUSES, description: 'Status of the order.' },
  },
} as const

export const duplicateOrderSchema = {
  ...errorResponseSchema,
  properties: {
    ...errorResponseSchema.properties,
    id: { type: 'string', description: 'Id of the order first sent with this clientOrderId.' },
    status: { type: 'string', enum: ORDER_STATUSES, description: 'Status of that order.' },
  },
} as const

export const submitOrderSchema = {
  tags: ['orders'],
  summary: 'Submit an order',
  description: 'Returns 202 once the command log has the order durably; the engine matches it afterwards. ' +
    'An order with a clientOrderId gets an id derived from the client id, the symbol and the clientOrderId, so a ' +
    'retry after a 503 cannot create a second order: it gets 409 naming the first one.',
  body: newOrderBodySchema,
  response: {
    202: orderRecordSchema,
    400: errorResponseSchema,
    409: duplicateOrderSchema,
    503: errorResponseSchema,
  },
} as const

export const cancelOrderSchema = {
  tags: ['orders'],
  summary: 'Request the cancellation of an order',
  params: orderIdParamsSchema,
  response: {
    202: {
      type: 'object',
      required: ['id', 'status', 'timestamp'],
      properties: {
        id: { type: 'string' },
        status: { type: 'string', enum: ['cancel_requested'] },
        timestamp: { type: 'string', format: 'date-time' },
      },
    },
    404: errorResponseSchema,
    409: orderNotActiveSchema,
    503: errorResponseSchema,
  },
} as const

export const modifyOrderBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    price: decimalSchema('New limit price, a multiple of the tick size.'),
    quantity: decimalSchema('New remaining quantity, a multiple of the lot size.'),
  },
} as const

export interface ModifyOrderBody {
  price?: string
  quantity?: string
}

export const modifyOrderSchema = {
  tags: ['orders'],
  summary: 'Request a new price or remaining quantity for a resting order',
  description: 'A quantity decrease at the same price keeps time priority; any other change loses it. ' +
    'The engine rejects the change if the order no longer rests when it applies it.',
  params: orderIdParamsSchema,
  body: modifyOrderBodySchema,
  response: {
    202: {
      type: 'object',
      required: ['id', 'status', 'timestamp'],
      properties: {
        id: { type: 'string' },
        status: { type: 'string', enum: ['modify_requested'] },
        timestamp: { type: 'string', format: 'date-time' },
      },
    },
    400: errorResponseSchema,
    404: errorResponseSchema,
    409: orderNotActiveSchema,
    503: errorResponseSchema,
  },
} as const

export const listOrdersSchema = {
  tags: ['orders'],
  summary: 'List orders, newest first',
  querystring: listOrdersQuerySchema,
  response: {
    200: {
      type: 'object',
      required: ['items'],
      properties: {
        items: { type: 'array', items: orderRecordSchema },
        nextCursor: { type: 'string', description: 'Pass as cursor for the next page; absent on the last page.' },
      },
    },
    400: errorResponseSchema,
    503: errorResponseSchema,
  },
} as const

export const getOrderSchema = {
  tags: ['orders'],
  summary: 'Get one order',
  params: orderIdParamsSchema,
  response: {
    200: orderRecordSchema,
    404: errorResponseSchema,
    503: errorResponseSchema,
  },
} as const

export const orderTradesSchema = {
  tags: ['orders'],
  summary: 'List the trades of one order',
  params: orderIdParamsSchema,
  response: {
    200: {
      type: 'object',
      required: ['orderId', 'trades'],
      properties: {
        orderId: { type: 'string' },
        trades: { type: 'array', items: tradeRecordSchema },
      },
    },
    404: errorResponseSchema,
    503: errorResponseSchema,
  },
} as const
