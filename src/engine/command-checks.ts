/**
 * Field checks of a decoded command before the engine applies it.
 * decodeCommand checks the envelope (version, kind, symbol, timestamp, id);
 * these check the fields of each kind, so that a malformed record goes to
 * the dead letters instead of reaching the core as a rejected order.
 * Decimal values are checked later against the symbol's instrument.
 */

import type { Command } from '../log/commands.ts'

const SIDES = new Set(['buy', 'sell'])
const TYPES = new Set(['limit', 'market'])
const TIMES_IN_FORCE = new Set(['GTC', 'IOC', 'FOK'])
const SOURCES = new Set(['orders', 'ordenes', 'replay'])

/** Returns why the command cannot be applied, or undefined when its fields are well formed. */
export function commandProblem(command: Command): string | undefined {
  const fields = command as unknown as Record<string, unknown>
  if (!isText(fields.clientId)) return 'clientId is missing'

  if (command.kind === 'new') return newOrderProblem(fields)
  if (command.kind === 'modify') return modifyProblem(fields)
  return undefined
}

function newOrderProblem(fields: Record<string, unknown>): string | undefined {
  if (!SIDES.has(fields.side as string)) return `side ${JSON.stringify(fields.side)} is not buy or sell`
  if (!TYPES.has(fields.type as string)) return `type ${JSON.stringify(fields.type)} is not limit or market`
  if (fields.type === 'limit' && !isText(fields.price)) return 'price of a limit order is missing or not a decimal string'
  if (fields.type === 'market' && fields.price !== null && fields.price !== undefined) {
    return 'price of a market order must be null'
  }
  if (!isText(fields.quantity)) return 'quantity is missing or not a decimal string'

  if (fields.timeInForce !== undefined && !TIMES_IN_FORCE.has(fields.timeInForce as string)) {
    return `timeInForce ${JSON.stringify(fields.timeInForce)} is not GTC, IOC or FOK`
  }
  if (fields.source !== undefined && !SOURCES.has(fields.source as string)) {
    return `source ${JSON.stringify(fields.source)} is unknown`
  }
  if (fields.clientOrderId !== undefined && typeof fields.clientOrderId !== 'string') {
    return 'clientOrderId is not a string'
  }
  return undefined
}

function modifyProblem(fields: Record<string, unknown>): string | undefined {
  if (fields.price !== undefined && !isText(fields.price)) return 'price is not a decimal string'
  if (fields.quantity !== undefined && !isText(fields.quantity)) return 'quantity is not a decimal string'
  if (fields.price === undefined && fields.quantity === undefined) return 'modify has neither price nor quantity'
  return undefined
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}
