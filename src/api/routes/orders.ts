/**
 * POST /orders and DELETE /orders/:id: the write side of the English
 * contract. Both return 202 only after the command log acknowledged the
 * command, and the engine applies it afterwards.
 */

import type { FastifyInstance } from 'fastify'

import { AppError, validationFailed } from '../../errors.ts'
import { COMMAND_VERSION, type CancelCommand } from '../../log/commands.ts'
import type { OrderStatus } from '../../store/types.ts'
import { acceptOrder, type OrderInput } from '../accept-order.ts'
import { appendCommand } from '../append-command.ts'
import { assertCanRest, findOrder } from '../find-order.ts'
import {
  cancelOrderSchema,
  submitOrderSchema,
  type NewOrderBody,
  type OrderIdParams,
} from '../schemas/orders.ts'
import type { ApiDependencies } from '../types.ts'

/** Statuses after which an order never changes again. */
const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['filled', 'cancelled', 'rejected'])

export async function orderRoutes(app: FastifyInstance, deps: ApiDependencies): Promise<void> {
  app.post<{ Body: NewOrderBody }>('/orders', { schema: submitOrderSchema }, async (request, reply) => {
    const body = request.body
    if (request.client === null) {
      throw validationFailed([
        { field: 'clientId', rule: 'required', message: 'is required, in the body or as the X-Client-Id header' },
      ])
    }

    const input: OrderInput = {
      clientId: request.client.id,
      symbol: body.symbol,
      side: body.side,
      type: body.type,
      price: body.price ?? null,
      quantity: body.quantity,
      timeInForce: body.timeInForce,
      source: 'orders',
    }
    if (body.clientOrderId !== undefined) input.clientOrderId = body.clientOrderId

    const record = await acceptOrder(deps, input, request)
    return reply.code(202).send(record)
  })

  app.delete<{ Params: OrderIdParams }>('/orders/:id', { schema: cancelOrderSchema }, async (request, reply) => {
    const order = await findOrder(deps, request.params.id)
    if (order === null) {
      throw new AppError('order_not_found', `no order has id ${request.params.id}`)
    }
    if (FINAL_STATUSES.has(order.status)) {
      throw new AppError('order_not_active', `order ${order.id} is ${order.status} and can no longer be cancelled`, {
        fields: { status: order.status },
      })
    }
    // Such an order ends within its own command, so a cancel would always come too late.
    assertCanRest(order, 'cancelled')

    // Keyed by the order's symbol, the cancel lands on the order's partition
    // after the order itself, so the engine always reads the order first.
    const command: CancelCommand = {
      v: COMMAND_VERSION,
      kind: 'cancel',
      orderId: order.id,
      symbol: order.symbol,
      clientId: order.clientId,
      timestamp: new Date().toISOString(),
    }
    await appendCommand(deps, command, request)

    return reply.code(202).send({ id: order.id, status: 'cancel_requested', timestamp: command.timestamp })
  })
}
