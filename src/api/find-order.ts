/**
 * Looks an order up for a request: the store's copy when the engine has
 * written one, else the acceptance record of an order this process accepted
 * and the engine has not applied yet.
 */

import type { OrderRecord } from '../store/types.ts'
import { readStore } from './read-store.ts'
import type { ApiDependencies } from './types.ts'

export async function findOrder(deps: ApiDependencies, id: string): Promise<OrderRecord | null> {
  const stored = await readStore(deps, deps.store.getOrder(id), 'order lookup')
  return stored ?? deps.recentOrders?.get(id) ?? null
}
