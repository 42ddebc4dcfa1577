/**
 * The acceptance flow shared by POST /orders and POST /ordenes: build the
 * command, append it durably, then write the acceptance copy to the store.
 */

import { randomUUID } from 'node:crypto'

import type { FastifyRequest } from 'fastify'

import { COMMAND_VERSION, type NewOrderCommand } from '../log/commands.ts'
import type { OrderRecord } from '../store/types.ts'
import { appendCommand } from './append-command.ts'
import { withTimeout } from './timeout.ts'
import type { ApiDependencies } from './types.ts'

/** A validated order, before it has an id and a timestamp. */
export type OrderInput = Omit<NewOrderCommand, 'v' | 'kind' | 'id' | 'timestamp'>

/**
 * Accepts one order and returns its acceptance record. The store write runs
 * only after the log acknowledged the order. A failed store write still
 * leaves the order accepted, because the engine writes it from the log.
 */
export async function acceptOrder(
  deps: ApiDependencies,
  input: OrderInput,
  request: FastifyRequest,
): Promise<OrderRecord> {
  const command: NewOrderCommand = {
    v: COMMAND_VERSION,
    kind: 'new',
    id: randomUUID(),
    ...input,
    timestamp: new Date().toISOString(),
  }

  const position = await appendCommand(deps, command, request)
  const record = toAcceptedRecord(command)

  try {
    await withTimeout(deps.store.putAcceptedOrder(record), deps.config.aws.requestTimeoutMs, 'store write')
  } catch (error) {
    request.log.error(
      { err: error, orderId: record.id, partition: position.partition, offset: position.offset.toString() },
      'acceptance copy of the order not written; the engine will write the order from the log',
    )
  }

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
