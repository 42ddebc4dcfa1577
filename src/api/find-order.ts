/**
 * Looks an order up for a request: the store's copy when the engine has
 * written one, else the acceptance record of an order this process accepted
 * and the engine has not applied yet.
 */

import { AppError } from '../errors.ts'
import type { OrderRecord } from '../store/types.ts'
import { readStore } from './read-store.ts'
import type { ApiDependencies } from './types.ts'

export async function findOrder(deps: ApiDependencies, id: string): Promise<OrderRecord | null> {
  const stored = await readStore(deps, deps.store.getOrder(id), 'order lookup')
  return stored ?? deps.recentOrders?.get(id) ?? null
}

/**
 * Throws the 409 for a change to an order that never rests: an IOC or FOK
 * limit order, or a market order, ends within its own command. `action` is
 * "modified" or "cancelled".
 */
export function assertCanRest(order: OrderRecord, action: string): void {
  if (order.type === 'limit' && order.timeInForce === 'GTC') return

  const kind = order.type === 'limit' ? `an ${order.timeInForce} limit order` : 'a market order'
  throw new AppError('order_not_active', `order ${order.id} is ${kind}, which never rests; only GTC limit orders can be ${action}`, {
    fields: { status: order.status },
  })
}
