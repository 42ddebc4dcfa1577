/**
 * JSON schemas of POST /ordenes, the Spanish contract kept from the first
 * version of the service: a limit GTC order with Spanish field names.
 */

import { decimalSchema, errorResponseSchema, idSchema, symbolSchema } from './common.ts'
import { duplicateOrderSchema } from './orders.ts'

export const ordenBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tipo', 'activo', 'cantidad', 'precio', 'cliente_id'],
  'x-order-decimals': { symbol: 'activo', price: 'precio', quantity: 'cantidad' },
  properties: {
    tipo: { type: 'string', enum: ['compra', 'venta'], description: 'compra (buy) or venta (sell).' },
    activo: symbolSchema,
    cantidad: decimalSchema('Quantity, a multiple of the lot size.'),
    precio: decimalSchema('Limit price, a multiple of the tick size.'),
    cliente_id: idSchema,
    referencia_cliente: {
      ...idSchema,
      description: "The client's own reference for the order, as clientOrderId in POST /orders: a retry " +
        'with the same reference gets 409 naming the first order instead of placing a second one.',
    },
  },
} as const

export interface OrdenBody {
  tipo: 'compra' | 'venta'
  activo: string
  cantidad: string
  precio: string
  cliente_id: string
  referencia_cliente?: string
}

export const submitOrdenSchema = {
  tags: ['ordenes'],
  summary: 'Submit a limit order (Spanish contract)',
  description: 'Same flow as POST /orders with type limit and timeInForce GTC. referencia_cliente is its clientOrderId.',
  body: ordenBodySchema,
  response: {
    202: {
      type: 'object',
      required: ['id', 'timestamp', 'tipo', 'activo', 'cantidad', 'precio', 'cliente_id', 'status'],
      properties: {
        id: { type: 'string' },
        timestamp: { type: 'string', format: 'date-time' },
        tipo: { type: 'string', enum: ['compra', 'venta'] },
        activo: { type: 'string' },
        cantidad: { type: 'string' },
        precio: { type: 'string' },
        cliente_id: { type: 'string' },
        referencia_cliente: { type: 'string' },
        status: { type: 'string', enum: ['accepted'] },
      },
    },
    400: errorResponseSchema,
    409: duplicateOrderSchema,
    503: errorResponseSchema,
  },
} as const
