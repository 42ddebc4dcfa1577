/**
 * Order ids. An order sent with a clientOrderId gets a name-based UUID
 * (version 5, RFC 9562) of the client id, the symbol and the clientOrderId.
 * A retry of the same order then maps to the same id and cannot create a
 * second order. The engine detects a repeated id per partition, so the
 * symbol is part of the name: one id on two symbols could otherwise reach
 * two partitions and rest twice. Without a clientOrderId the id is random.
 */

import { createHash, randomUUID } from 'node:crypto'

/** Namespace of the name-based ids; fixed forever, since ids derive from it. */
const NAMESPACE = Buffer.from('6f1d2a52c3b84c0e9a7d5e0b8f4c3a21', 'hex')

export function orderIdFor(clientId: string, symbol: string, clientOrderId: string | undefined): string {
  if (clientOrderId === undefined) return randomUUID()

  const name = Buffer.from(`${clientId}\u0000${symbol}\u0000${clientOrderId}`, 'utf8')
  const bytes = createHash('sha1').update(NAMESPACE).update(name).digest().subarray(0, 16)
  bytes[6] = (bytes[6] & 0x0f) | 0x50
  bytes[8] = (bytes[8] & 0x3f) | 0x80

  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
