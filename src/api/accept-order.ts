/**
 * The acceptance flow shared by POST /orders and POST /ordenes: build the
 * command and append it durably.
 */

import type { FastifyRequest } from 'fastify'

import { COMMAND_VERSION, type NewOrderCommand } from '../log/commands.ts'
import type { OrderRecord } from '../store/types.ts'
import { AppError } from '../errors.ts'
import { appendCommand } from './append-command.ts'
import { canonicalDecimal } from './decimals.ts'
import { findOrder } from './find-order.ts'
import { orderIdFor } from './order-ids.ts'
import type { ApiDependencies } from './types.ts'

/** A validated order, before it has an id and a timestamp. */
export type OrderInput = Omit<NewOrderCommand, 'v' | 'kind' | 'id' | 'timestamp'>

/**
 * Accepts one order and returns its acceptance record once the log has
 * acknowledged it. The API writes nothing to the store: the engine writes
 * the order when it applies the command, usually within milliseconds, and
 * until then this process serves the order from its recent orders.
 */
// NOTE: another API instance behind the same load balancer does not see this
// process's recent orders, so there a read right after the 202 can be a 404
// until the engine has written the order.
export async function acceptOrder(
  deps: ApiDependencies,
  input: OrderInput,
  request: FastifyRequest,
): Promise<OrderRecord> {
  const id = orderIdFor(input.clientId, input.symbol, input.clientOrderId)
  if (input.clientOrderId !== undefined) {
    // A request with the same id still in flight in this process finishes
    // first, so its twin gets the 409 below rather than a second 202. The
    // engine also rejects a repeated id, which covers twins sent to two API
    // processes at once.
    while (deps.recentOrders?.pending(id) !== undefined) {
      await deps.recentOrders.pending(id)!.catch(() => undefined)
    }

    const existing = await findOrder(deps, id)
    if (existing !== null) {
      throw new AppError(
        'duplicate_client_order_id',
        `client ${input.clientId} already sent clientOrderId ${input.clientOrderId}: order ${existing.id} is ${existing.status}`,
        { fields: { id: existing.id, status: existing.status } },
      )
    }
    if (deps.recentOrders?.pending(id) !== undefined) return acceptOrder(deps, input, request)
  }

  const command: NewOrderCommand = {
    v: COMMAND_VERSION,
    kind: 'new',
    id,
    ...input,
    price: input.price === null ? null : canonicalDecimal(input.price),
    quantity: canonicalDecimal(input.quantity),
    timestamp: new Date().toISOString(),
  }

  const appended = appendCommand(deps, command, request)
  if (input.clientOrderId !== undefined) deps.recentOrders?.setPending(id, appended)
  await appended
  const record = toAcceptedRecord(command)
  deps.recentOrders?.add(record)
  return record
}

/** Builds the record of an order the engine has not applied yet: nothing filled, all remaining. */
export function toAcceptedRecord(command: NewOrderCommand): OrderRecord {
  const record: OrderRecord = {
    id: command.id,
    clientId: command.clientId,
    symbol: command.symbol,
    side: command.side,
    type: command.type,
    price: command.price,
    quantity: command.quantity,
    timeInForce: command.timeInForce,
    status: 'accepted',
    filledQuantity: '0',
    remainingQuantity: command.quantity,
    cancelledQuantity: '0',
    notional: '0',
    averagePrice: null,
    matched: false,
    timestamp: command.timestamp,
    updatedAt: command.timestamp,
    version: -1,
    source: command.source,
  }
  if (command.clientOrderId !== undefined) record.clientOrderId = command.clientOrderId
  return record
}
