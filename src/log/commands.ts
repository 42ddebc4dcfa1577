/**
 * Commands as they travel through the command log: versioned JSON, one
 * command a record, keyed by symbol. Decimal fields stay strings end to end.
 */

export const COMMAND_VERSION = 1

export type Side = 'buy' | 'sell'
export type OrderType = 'limit' | 'market'
export type TimeInForce = 'GTC' | 'IOC' | 'FOK'

/** The API contract that accepted the order. */
export type OrderSource = 'orders' | 'ordenes' | 'replay'

export interface NewOrderCommand {
  v: typeof COMMAND_VERSION
  kind: 'new'
  id: string
  clientId: string
  clientOrderId?: string
  symbol: string
  side: Side
  type: OrderType
  /** Decimal string; null for a market order. */
  price: string | null
  quantity: string
  timeInForce: TimeInForce
  /** Acceptance time, ISO 8601 with milliseconds; the engine never reads its own clock. */
  timestamp: string
  source: OrderSource
}

export interface CancelCommand {
  v: typeof COMMAND_VERSION
  kind: 'cancel'
  orderId: string
  symbol: string
  clientId: string
  timestamp: string
}

/** A new price and/or remaining quantity for a resting order. */
export interface ModifyCommand {
  v: typeof COMMAND_VERSION
  kind: 'modify'
  orderId: string
  symbol: string
  clientId: string
  price?: string
  quantity?: string
  timestamp: string
}

export type Command = NewOrderCommand | CancelCommand | ModifyCommand

export class CommandDecodeError extends Error {
  readonly reason: string

  constructor(reason: string) {
    super(`invalid command: ${reason}`)
    this.name = 'CommandDecodeError'
    this.reason = reason
  }
}

export function encodeCommand(command: Command): Buffer {
  return Buffer.from(JSON.stringify(command))
}

const KINDS = new Set(['new', 'cancel', 'modify'])

/**
 * Decodes a record value. Throws CommandDecodeError for anything that is not
 * a version-1 command, so that the caller can dead-letter the record.
 * Field-level validation of values happens in the engine, which applies the
 * instrument's tick and lot sizes.
 */
export function decodeCommand(value: Buffer): Command {
  let parsed: unknown
  try {
    parsed = JSON.parse(value.toString('utf8'))
  } catch {
    throw new CommandDecodeError('value is not JSON')
  }

  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CommandDecodeError('value is not a JSON object')
  }

  const record = parsed as Record<string, unknown>
  if (record.v !== COMMAND_VERSION) {
    throw new CommandDecodeError(`unsupported version ${JSON.stringify(record.v)}`)
  }
  if (typeof record.kind !== 'string' || !KINDS.has(record.kind)) {
    throw new CommandDecodeError(`unknown kind ${JSON.stringify(record.kind)}`)
  }
  if (typeof record.symbol !== 'string' || record.symbol === '') {
    throw new CommandDecodeError('symbol is missing')
  }
  if (typeof record.timestamp !== 'string' || Number.isNaN(Date.parse(record.timestamp))) {
    throw new CommandDecodeError('timestamp is missing or not ISO 8601')
  }

  const idField = record.kind === 'new' ? 'id' : 'orderId'
  if (typeof record[idField] !== 'string' || record[idField] === '') {
    throw new CommandDecodeError(`${idField} is missing`)
  }

  return parsed as Command
}
