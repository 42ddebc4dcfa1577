/**
 * GET /orders, GET /orders/:id and GET /orders/:id/trades: reads served from
 * the store, which the engine keeps current.
 */

import type { FastifyInstance } from 'fastify'

import { AppError } from '../../errors.ts'
import type { OrderFilter } from '../../store/types.ts'
import { findOrder } from '../find-order.ts'
import { readStore } from '../read-store.ts'
import {
  getOrderSchema,
  listOrdersSchema,
  orderTradesSchema,
  type ListOrdersQuery,
  type OrderIdParams,
} from '../schemas/orders.ts'
import type { ApiDependencies } from '../types.ts'

export async function orderQueryRoutes(app: FastifyInstance, deps: ApiDependencies): Promise<void> {
  app.get<{ Querystring: ListOrdersQuery }>('/orders', { schema: listOrdersSchema }, async (request) => {
    const { limit, cursor, ...query } = request.query
    const filter: OrderFilter = {}
    if (query.symbol !== undefined) filter.symbol = query.symbol
    if (query.status !== undefined) filter.status = query.status
    if (query.matched !== undefined) filter.matched = query.matched
    if (query.clientId !== undefined) filter.clientId = query.clientId

    return readStore(deps, deps.store.listOrders(filter, limit, cursor), 'order listing')
  })

  app.get<{ Params: OrderIdParams }>('/orders/:id', { schema: getOrderSchema }, async (request) => {
    const order = await findOrder(deps, request.params.id)
    if (order === null) throw new AppError('order_not_found', `no order has id ${request.params.id}`)
    return order
  })

  app.get<{ Params: OrderIdParams }>('/orders/:id/trades', { schema: orderTradesSchema }, async (request) => {
    const orderId = request.params.id
    const [order, trades] = await Promise.all([
      findOrder(deps, orderId),
      readStore(deps, deps.store.tradesByOrder(orderId), 'trade listing'),
    ])
    if (order === null) throw new AppError('order_not_found', `no order has id ${orderId}`)
    return { orderId, trades }
  })
}
