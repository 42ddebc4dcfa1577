/**
 * Property-based tests over random command sequences on 1 to 3 symbols. A
 * small id pool makes duplicates, cancels and modifies hit real orders, and a
 * narrow price band makes orders cross. Occasional invalid values, huge
 * quantities and stale seqs exercise rejections and level overflow.
 */

import assert from 'node:assert/strict'
import { test } from 'node:test'

import fc from 'fast-check'

import { MatchingEngine } from '../../../src/core/matching-engine.ts'
import { ReferenceBook } from '../../../src/core/reference-book.ts'
import type { CommandResult, NewOrder, Order, OrderChange } from '../../../src/core/types.ts'
import { depthTuples, serializeResult, type SerializedResult } from './fixtures.ts'

const MAX = Number.MAX_SAFE_INTEGER
const RUNS = 300

interface GeneratedCommand {
  seq: number
  symbol: string
  kind: 'submit' | 'cancel' | 'modify'
  order: NewOrder
  orderId: string
  change: OrderChange
  timestampMs: number
}

const idArbitrary = fc.constantFrom(...Array.from({ length: 24 }, (_, i) => `o${i}`))
const priceArbitrary = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 95, max: 105 }) },
  { weight: 1, arbitrary: fc.constantFrom<number | null>(null, 0, -1, 1.5) },
)
const quantityArbitrary = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 1, max: 20 }) },
  { weight: 2, arbitrary: fc.constantFrom(MAX, MAX - 7, 2 ** 52) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 2.5) },
)

const stepArbitrary = fc.record({
  symbolIndex: fc.nat(),
  seqStep: fc.oneof({ weight: 14, arbitrary: fc.constant(1) }, fc.constant(3), fc.constant(0)),
  kind: fc.constantFrom('submit', 'submit', 'submit', 'submit', 'cancel', 'modify', 'modify'),
  id: idArbitrary,
  /** Cancels and modifies usually target the id of a recent submit, which is likely resting. */
  recentSubmit: fc.option(fc.nat(6), { nil: undefined, freq: 4 }),
  clientId: fc.constantFrom('c1', 'c2'),
  side: fc.constantFrom('buy', 'sell'),
  type: fc.constantFrom('limit', 'limit', 'limit', 'limit', 'market'),
  marketWithPrice: fc.constantFrom(false, false, false, false, false, false, false, true),
  priceTicks: priceArbitrary,
  quantityLots: quantityArbitrary,
  timeInForce: fc.constantFrom('GTC', 'GTC', 'GTC', 'IOC', 'FOK'),
  changePrice: fc.option(priceArbitrary, { nil: undefined }),
  changeQuantity: fc.option(quantityArbitrary, { nil: undefined }),
})

const scenarioArbitrary = fc.record({
  symbolCount: fc.integer({ min: 1, max: 3 }),
  seenIdCapacity: fc.constantFrom(Infinity, Infinity, 4, 9),
  steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 80, size: 'max' }),
})

type Scenario = { symbolCount: number, seenIdCapacity: number, commands: GeneratedCommand[] }

const commandsArbitrary = scenarioArbitrary.map(({ symbolCount, seenIdCapacity, steps }): Scenario => {
  let seq = 0
  const submitted: Array<{ symbol: string, id: string }> = []
  const commands = steps.map((step): GeneratedCommand => {
    seq += step.seqStep
    let symbol = ['AAA', 'BBB', 'CCC'][step.symbolIndex % symbolCount]
    let orderId = step.id
    if (step.kind === 'submit') {
      submitted.push({ symbol, id: step.id })
    } else if (step.recentSubmit !== undefined && step.recentSubmit < submitted.length) {
      const target = submitted[submitted.length - 1 - step.recentSubmit]
      symbol = target.symbol
      orderId = target.id
    }
    const timestampMs = 1_700_000_000_000 + seq
    const isMarket = step.type === 'market'
    return {
      seq,
      symbol,
      kind: step.kind as GeneratedCommand['kind'],
      order: {
        id: step.id,
        clientId: step.clientId,
        side: step.side as NewOrder['side'],
        type: step.type as NewOrder['type'],
        // Market orders usually carry no price, as they must.
        priceTicks: isMarket && !step.marketWithPrice ? null : step.priceTicks,
        quantityLots: step.quantityLots,
        timeInForce: step.timeInForce as NewOrder['timeInForce'],
        timestampMs,
      },
      orderId,
      change: {
        ...(step.changePrice === undefined ? {} : { priceTicks: step.changePrice as number }),
        ...(step.changeQuantity === undefined ? {} : { quantityLots: step.changeQuantity }),
      },
      timestampMs,
    }
  })
  return { symbolCount, seenIdCapacity, commands }
})

function applyToEngine(engine: MatchingEngine, command: GeneratedCommand): CommandResult {
  switch (command.kind) {
    case 'submit':
      return engine.submit(command.seq, command.symbol, command.order)
    case 'cancel':
      return engine.cancel(command.seq, command.symbol, command.orderId, command.timestampMs)
    case 'modify':
      return engine.modify(command.seq, command.symbol, command.orderId, command.change, command.timestampMs)
  }
}

function applyToReference(book: ReferenceBook, command: GeneratedCommand): CommandResult {
  switch (command.kind) {
    case 'submit':
      return book.submit(command.seq, command.order)
    case 'cancel':
      return book.cancel(command.seq, command.orderId, command.timestampMs)
    case 'modify':
      return book.modify(command.seq, command.orderId, command.change, command.timestampMs)
  }
}

function runEngine(engine: MatchingEngine, commands: GeneratedCommand[]): SerializedResult[] {
  return commands.map((command) => serializeResult(applyToEngine(engine, command)))
}

test('invariants hold after every command', () => {
  fc.assert(
    fc.property(commandsArbitrary, ({ seenIdCapacity, commands }) => {
      const engine = new MatchingEngine({ seenIdCapacity })
      const filledByOrder = new Map<string, number>()
      const notionalByOrder = new Map<string, bigint>()
      const orders = new Map<string, Order>()

      for (const command of commands) {
        const result = applyToEngine(engine, command)

        assert.deepEqual(engine.checkInvariants(), [], `after seq ${command.seq}`)
        const best = engine.depth(command.symbol, 1)
        if (best.bids.length > 0 && best.asks.length > 0) {
          assert.ok(best.bids[0].priceTicks < best.asks[0].priceTicks, 'book not crossed')
        }

        const isNewOrder = command.kind === 'submit' && result.order !== null && result.code !== 'duplicate_order_id'
        if (isNewOrder) {
          // A bounded seen-id capacity lets a forgotten id start a new order.
          const key = `${command.symbol}/${command.order.id}`
          filledByOrder.delete(key)
          notionalByOrder.delete(key)
        }

        for (const fill of result.fills) {
          for (const id of [fill.makerOrderId, fill.takerOrderId]) {
            const key = `${command.symbol}/${id}`
            filledByOrder.set(key, (filledByOrder.get(key) ?? 0) + fill.quantityLots)
            notionalByOrder.set(
              key,
              (notionalByOrder.get(key) ?? 0n) + BigInt(fill.priceTicks) * BigInt(fill.quantityLots),
            )
          }
          orders.set(`${command.symbol}/${fill.makerOrderId}`, fill.maker)
        }
        if (result.order !== null && result.code !== 'duplicate_order_id') {
          orders.set(`${command.symbol}/${result.order.id}`, result.order)
        }

        for (const [key, order] of orders) {
          assert.equal(
            order.filledLots + order.remainingLots + order.cancelledLots,
            order.quantityLots,
            `quantity identity of ${key}`,
          )
          assert.equal(order.filledLots, filledByOrder.get(key) ?? 0, `fills sum to filledLots of ${key}`)
          assert.equal(order.notional, notionalByOrder.get(key) ?? 0n, `fills sum to notional of ${key}`)
        }
      }
    }),
    { numRuns: RUNS },
  )
})

test('fast book matches reference book', () => {
  fc.assert(
    fc.property(commandsArbitrary, ({ seenIdCapacity, commands }) => {
      const engine = new MatchingEngine({ seenIdCapacity })
      const references = new Map<string, ReferenceBook>()
      let lastSeq = -1

      for (const command of commands) {
        const actual = serializeResult(applyToEngine(engine, command))
        if (command.seq <= lastSeq) {
          assert.equal(actual.code, 'stale_sequence')
          continue
        }
        lastSeq = command.seq

        let reference = references.get(command.symbol)
        if (reference === undefined) {
          reference = new ReferenceBook(command.symbol, { seenIdCapacity })
          references.set(command.symbol, reference)
        }
        const expected = serializeResult(applyToReference(reference, command))
        assert.deepEqual(actual, expected, `result of seq ${command.seq}`)

        const depth = engine.depth(command.symbol, Number.MAX_SAFE_INTEGER)
        const referenceDepth = depthTuples(reference)
        assert.deepEqual(
          depth.bids.map((level) => [level.priceTicks, level.quantityLots, level.orderCount]),
          referenceDepth.bids,
        )
        assert.deepEqual(
          depth.asks.map((level) => [level.priceTicks, level.quantityLots, level.orderCount]),
          referenceDepth.asks,
        )
        for (const side of ['buy', 'sell'] as const) {
          assert.deepEqual(
            JSON.parse(JSON.stringify(engine.restingOrders(command.symbol, side))),
            JSON.parse(JSON.stringify(reference.restingOrders(side), (_, value) =>
              typeof value === 'bigint' ? value.toString() : value)),
            `${side} resting orders after seq ${command.seq}`,
          )
        }
      }
    }),
    { numRuns: RUNS },
  )
})

test('two runs are identical', () => {
  fc.assert(
    fc.property(commandsArbitrary, ({ seenIdCapacity, commands }) => {
      const first = new MatchingEngine({ seenIdCapacity })
      const second = new MatchingEngine({ seenIdCapacity })
      assert.deepEqual(runEngine(second, commands), runEngine(first, commands))
      assert.equal(second.stateHash(), first.stateHash())
      assert.deepEqual(second.snapshot(), first.snapshot())
    }),
    { numRuns: RUNS },
  )
})

test('snapshot and restore mid-run', () => {
  fc.assert(
    fc.property(commandsArbitrary, fc.nat(), ({ seenIdCapacity, commands }, cut) => {
      const split = cut % (commands.length + 1)
      const uninterrupted = new MatchingEngine({ seenIdCapacity })
      const expected = runEngine(uninterrupted, commands)

      const before = new MatchingEngine({ seenIdCapacity })
      runEngine(before, commands.slice(0, split))
      const snapshot = JSON.parse(JSON.stringify(before.snapshot()))
      const restored = MatchingEngine.restore(snapshot, { seenIdCapacity })
      assert.equal(restored.stateHash(), before.stateHash(), 'hash right after restore')

      const actual = runEngine(restored, commands.slice(split))
      assert.deepEqual(actual, expected.slice(split))
      assert.equal(restored.stateHash(), uninterrupted.stateHash())
      assert.deepEqual(restored.snapshot(), uninterrupted.snapshot())
      assert.deepEqual(restored.checkInvariants(), [])
    }),
    { numRuns: RUNS },
  )
})
