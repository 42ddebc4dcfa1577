/**
 * Appends a command to the command log under the API's one rule: a command
 * counts as accepted only once the log has acknowledged it durably.
 */

import type { FastifyRequest } from 'fastify'

import { AppError } from '../errors.ts'
import { encodeCommand, type Command } from '../log/commands.ts'
import type { AppendResult } from '../log/types.ts'
import { withTimeout } from './timeout.ts'
import type { ApiDependencies } from './types.ts'

/**
 * Appends `command` keyed by its symbol, so that every command of a symbol
 * lands on one partition in order. Throws AppError `log_unavailable` (503)
 * when the append rejects or takes longer than KAFKA_REQUEST_TIMEOUT_MS.
 */
// NOTE: after a timeout the append may still complete. A new order that
// carries a clientOrderId gets an id derived from it, so its retry is
// recognised as a duplicate. A retry without a clientOrderId cannot be.
export async function appendCommand(
  deps: ApiDependencies,
  command: Command,
  request: FastifyRequest,
): Promise<AppendResult> {
  const timeoutMs = deps.config.kafka.requestTimeoutMs

  try {
    return await withTimeout(
      deps.producer.append(command.symbol, encodeCommand(command)),
      timeoutMs,
      'command log append',
    )
  } catch (error) {
    const commandId = command.kind === 'new' ? command.id : command.orderId
    request.log.warn(
      { err: error, kind: command.kind, orderId: commandId, symbol: command.symbol },
      'command append failed',
    )
    throw new AppError(
      'log_unavailable',
      'the command log did not acknowledge the command in time; it may still be applied, so retry after ' +
        'Retry-After seconds with the same clientOrderId, or check GET /orders before sending it again',
      { cause: error },
    )
  }
}
