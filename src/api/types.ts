/**
 * Dependencies of the API, created and closed by the caller.
 */

import type { Logger } from 'pino'

import type { Config } from '../config.ts'
import type { CommandLog, CommandLogProducer } from '../log/types.ts'
import type { Store } from '../store/types.ts'
import type { InstrumentRegistry } from '../core/instrument-registry.ts'
import type { RecentOrders } from './recent-orders.ts'

export interface ApiDependencies {
  config: Config
  /** Used for readiness pings only; commands go through `producer`. */
  log: CommandLog
  producer: CommandLogProducer
  store: Store
  instruments: InstrumentRegistry
  logger: Logger
  /** Orders accepted by this process and not yet in the store; buildApp creates it when absent. */
  recentOrders?: RecentOrders
}
