/**
 * Runner for the table-driven matching rule tests: every case runs against
 * both the fast OrderBook and the ReferenceBook, so each rule is checked in
 * both and the reference is itself tested.
 */

import assert from 'node:assert/strict'
import { test } from 'node:test'

import { orderToJson } from '../../../src/core/book-order.ts'
import type { Order, OrderBookApi, OrderJson, ResultCode } from '../../../src/core/types.ts'
import {
  applyCommand,
  depthTuples,
  IMPLEMENTATIONS,
  restingIds,
  type LevelTuple,
  type TestCommand,
} from './fixtures.ts'

export interface RuleCase {
  name: string
  setup?: TestCommand[]
  command: TestCommand
  /** Defaults to 'ok'. */
  code?: ResultCode
  /** Expected fields of the result's order, or null when the result carries no order. */
  order?: Partial<OrderJson> | null
  /** [priceTicks, quantityLots, makerOrderId] per fill, no fills by default. */
  fills?: Array<[number, number, string]>
  bids?: LevelTuple[]
  asks?: LevelTuple[]
  /** Resting order ids per side in price-time order after the command. */
  resting?: { buy?: string[], sell?: string[] }
  /** Expected fields of other orders after the command, by id. */
  orders?: Record<string, Partial<OrderJson>>
  /** The command must leave the resting state exactly as it was. */
  unchanged?: boolean
}

function restingState(book: OrderBookApi): unknown {
  return {
    depth: depthTuples(book),
    buy: book.restingOrders('buy').map(orderToJson),
    sell: book.restingOrders('sell').map(orderToJson),
  }
}

function checkFields(actual: Order, expected: Partial<OrderJson>, label: string): void {
  const json = orderToJson(actual) as unknown as Record<string, unknown>
  for (const [field, value] of Object.entries(expected)) {
    assert.deepEqual(json[field], value, `${label}.${field}`)
  }
}

function runCase(implementation: (typeof IMPLEMENTATIONS)[number], ruleCase: RuleCase): void {
  const book = implementation.create('T')
  const known = new Map<string, Order>()
  const track = (code: ResultCode, order: Order | null, makers: readonly Order[]): void => {
    if (order !== null && code !== 'duplicate_order_id') {
      known.set(order.id, order)
    }
    for (const maker of makers) {
      known.set(maker.id, maker)
    }
  }

  const setup = ruleCase.setup ?? []
  for (let i = 0; i < setup.length; i++) {
    const result = applyCommand(book, i + 1, setup[i])
    track(result.code, result.order, result.fills.map((fill) => fill.maker))
  }

  const before = restingState(book)
  const seq = setup.length + 1
  const result = applyCommand(book, seq, ruleCase.command)
  track(result.code, result.order, result.fills.map((fill) => fill.maker))

  assert.equal(result.code, ruleCase.code ?? 'ok', 'result code')

  if (ruleCase.order === null) {
    assert.equal(result.order, null, 'result order')
  } else if (ruleCase.order !== undefined) {
    assert.notEqual(result.order, null, 'result order')
    checkFields(result.order as Order, ruleCase.order, 'order')
  }

  const fills = result.fills.map((fill) => [fill.priceTicks, fill.quantityLots, fill.makerOrderId])
  assert.deepEqual(fills, ruleCase.fills ?? [], 'fills')
  if (result.fills.length === 0) {
    assert.ok(Object.isFrozen(result.fills), 'empty fills are the shared frozen array')
  }
  result.fills.forEach((fill, index) => {
    assert.equal(fill.tradeId, `T:${seq}:${index + 1}`, 'tradeId')
    assert.equal(fill.seq, seq, 'fill seq')
    assert.equal(fill.timestampMs, 1000 + seq, 'fill timestampMs')
    assert.equal(fill.takerOrderId, result.order?.id, 'takerOrderId')
    assert.equal(fill.takerSide, result.order?.side, 'takerSide')
  })

  const depth = depthTuples(book)
  if (ruleCase.bids !== undefined) {
    assert.deepEqual(depth.bids, ruleCase.bids, 'bids')
  }
  if (ruleCase.asks !== undefined) {
    assert.deepEqual(depth.asks, ruleCase.asks, 'asks')
  }
  if (ruleCase.resting?.buy !== undefined) {
    assert.deepEqual(restingIds(book, 'buy'), ruleCase.resting.buy, 'resting buy ids')
  }
  if (ruleCase.resting?.sell !== undefined) {
    assert.deepEqual(restingIds(book, 'sell'), ruleCase.resting.sell, 'resting sell ids')
  }
  for (const [id, expected] of Object.entries(ruleCase.orders ?? {})) {
    const order = known.get(id)
    assert.ok(order !== undefined, `order ${id} was never returned`)
    checkFields(order, expected, id)
  }
  if (ruleCase.unchanged === true) {
    assert.deepEqual(restingState(book), before, 'resting state unchanged')
  }

  for (const order of known.values()) {
    assert.equal(
      order.filledLots + order.remainingLots + order.cancelledLots,
      order.quantityLots,
      `quantity identity of ${order.id}`,
    )
  }
}

/** Registers one test per case, with one subtest per implementation. */
export function ruleTable(cases: RuleCase[]): void {
  for (const ruleCase of cases) {
    test(ruleCase.name, async (t) => {
      for (const implementation of IMPLEMENTATIONS) {
        await t.test(implementation.name, () => runCase(implementation, ruleCase))
      }
    })
  }
}
