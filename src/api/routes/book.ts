/**
 * GET /book/:symbol: the aggregated price levels the engine persisted.
 */

import type { FastifyInstance } from 'fastify'

import type { LevelRecord } from '../../store/types.ts'
import { readStore } from '../read-store.ts'
import { bookSchema, type BookParams, type BookQuery } from '../schemas/book.ts'
import type { ApiDependencies } from '../types.ts'

export async function bookRoutes(app: FastifyInstance, deps: ApiDependencies): Promise<void> {
  app.get<{ Params: BookParams; Querystring: BookQuery }>('/book/:symbol', { schema: bookSchema }, async (request) => {
    const { symbol } = request.params
    const levels = await readStore(deps, deps.store.bookLevels(symbol, request.query.depth), 'book read')
    return { symbol, bids: levels.bids.map(toLevel), asks: levels.asks.map(toLevel) }
  })
}

function toLevel(level: LevelRecord) {
  return { price: level.price, quantity: level.quantity, orders: level.orderCount }
}
