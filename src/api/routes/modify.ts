/**
 * PATCH /orders/:id: a new price and/or remaining quantity for a resting
 * order, sequenced through the command log like any other command. A
 * quantity decrease at the same price keeps the order's time priority; any
 * other change moves it to the back of its new price level.
 */

import type { FastifyInstance } from 'fastify'

import { AppError, validationFailed, type ErrorDetail } from '../../errors.ts'
import { COMMAND_VERSION, type ModifyCommand } from '../../log/commands.ts'
import { appendCommand } from '../append-command.ts'
import { parseDecimalE8 } from '../../core/decimal.ts'
import { canonicalDecimal, checkDecimalField } from '../decimals.ts'
import { assertCanRest, findOrder } from '../find-order.ts'
import { modifyOrderSchema, type ModifyOrderBody, type OrderIdParams } from '../schemas/orders.ts'
import type { ApiDependencies } from '../types.ts'

/**
 * Returns the filled quantity plus a new remaining quantity, both valid
 * decimals, in units of 1e-8. The filled quantity is the store's, which can
 * lag the engine, so the engine checks the total again.
 */
function totalAfterModify(filledQuantity: string, remaining: string): bigint {
  return (parseDecimalE8(filledQuantity) as bigint) + (parseDecimalE8(remaining) as bigint)
}

/** Statuses of an order that sits on the book, or may once the engine applies it. */
const MODIFIABLE = new Set(['accepted', 'open', 'partially_filled'])

export async function modifyRoutes(app: FastifyInstance, deps: ApiDependencies): Promise<void> {
  app.patch<{ Params: OrderIdParams, Body: ModifyOrderBody }>(
    '/orders/:id',
    { schema: modifyOrderSchema },
    async (request, reply) => {
      const order = await findOrder(deps, request.params.id)
      if (order === null) {
        throw new AppError('order_not_found', `no order has id ${request.params.id}`)
      }
      if (!MODIFIABLE.has(order.status)) {
        throw new AppError('order_not_active', `order ${order.id} is ${order.status} and can no longer be modified`, {
          fields: { status: order.status },
        })
      }
      assertCanRest(order, 'modified')

      const instrument = deps.instruments.get(order.symbol)
      const details: ErrorDetail[] = []
      for (const field of ['price', 'quantity'] as const) {
        const value = request.body[field]
        if (value === undefined) continue

        const check = checkDecimalField(value, field, instrument)
        if (!check.ok) details.push({ field, rule: check.rule, message: check.message })
      }
      if (details.length === 0 && request.body.quantity !== undefined) {
        const total = totalAfterModify(order.filledQuantity, request.body.quantity)
        if (total > instrument.maxQuantityE8) {
          details.push({
            field: 'quantity',
            rule: 'above_maximum',
            message:
              `the order's total quantity, ${order.filledQuantity} filled and ${request.body.quantity} remaining, ` +
              `must be at most ${instrument.maxQuantity} for ${instrument.symbol}`,
          })
        }
      }
      if (details.length > 0) throw validationFailed(details)

      const command: ModifyCommand = {
        v: COMMAND_VERSION,
        kind: 'modify',
        orderId: order.id,
        symbol: order.symbol,
        clientId: order.clientId,
        timestamp: new Date().toISOString(),
      }
      if (request.body.price !== undefined) command.price = canonicalDecimal(request.body.price)
      if (request.body.quantity !== undefined) command.quantity = canonicalDecimal(request.body.quantity)
      await appendCommand(deps, command, request)

      return reply.code(202).send({ id: order.id, status: 'modify_requested', timestamp: command.timestamp })
    },
  )
}
