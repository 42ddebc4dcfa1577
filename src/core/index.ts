/** Public surface of the matching core. */

export * from './types.ts'
export * from './decimal.ts'
export * from './instrument.ts'
export * from './instrument-registry.ts'
export { OrderBook, type OrderBookOptions } from './order-book.ts'
export { MatchingEngine, type MatchingEngineOptions } from './matching-engine.ts'
export { SnapshotError, SNAPSHOT_FORMAT, type BookSnapshot, type EngineSnapshot } from './snapshot.ts'
export { orderToJson } from './book-order.ts'
