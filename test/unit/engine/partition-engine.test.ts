import assert from 'node:assert/strict'
import { test } from 'node:test'

import { parseInstrumentRegistry } from '../../../src/core/instrument-registry.ts'
import { BatchEffects } from '../../../src/engine/batch-effects.ts'
import { InstrumentChangedError, PartitionEngine } from '../../../src/engine/partition-engine.ts'
import type { NewOrderCommand } from '../../../src/log/commands.ts'

const CENTS = parseInstrumentRegistry({ ACME: { tickSize: '0.01', lotSize: '1' } })

function bid(id: string, price: string): NewOrderCommand {
  return {
    v: 1,
    kind: 'new',
    id,
    clientId: 'c',
    symbol: 'ACME',
    side: 'buy',
    type: 'limit',
    price,
    quantity: '5',
    timeInForce: 'GTC',
    timestamp: '2026-01-01T00:00:00.000Z',
    source: 'orders',
  }
}

function engineWithOneBid(): PartitionEngine {
  const engine = new PartitionEngine(0, CENTS)
  const batch = new BatchEffects(0)
  const outcome = engine.apply(0, bid('b1', '10.25'), batch)
  assert.equal(outcome.code, 'ok')
  return engine
}

test('snapshot restores the resting order', () => {
  const restored = PartitionEngine.restore(engineWithOneBid().snapshotBody(), CENTS)

  assert.equal(restored.lastOffset, 0)
  assert.equal(restored.core.getOrder('ACME', 'b1')?.remainingLots, 5)
  assert.equal(restored.meta('b1')?.source, 'orders')
})

test('snapshot restore rejects a changed tick size', () => {
  const body = engineWithOneBid().snapshotBody()
  const coarser = parseInstrumentRegistry({ ACME: { tickSize: '0.5', lotSize: '1' } })

  assert.throws(() => PartitionEngine.restore(body, coarser), InstrumentChangedError)
})

test('invalid price goes to the dead letters', () => {
  const engine = new PartitionEngine(0, CENTS)
  const outcome = engine.apply(0, bid('b2', '10.255'), new BatchEffects(0))

  assert.match(outcome.deadLetterReason ?? '', /not_multiple_of_tick/)
  assert.equal(engine.core.getOrder('ACME', 'b2'), null)
})

test("a modify that takes the order's total past maxQuantity is rejected", () => {
  const capped = parseInstrumentRegistry({ ACME: { tickSize: '0.01', lotSize: '1', maxQuantity: '10' } })
  const engine = new PartitionEngine(0, capped)
  engine.apply(0, { ...bid('b1', '10'), quantity: '10' }, new BatchEffects(0))
  engine.apply(1, { ...bid('s1', '10'), side: 'sell', quantity: '6' }, new BatchEffects(0))
  assert.equal(engine.core.getOrder('ACME', 'b1')?.remainingLots, 4)

  const modify = (offset: number, quantity: string) =>
    engine.apply(
      offset,
      { v: 1, kind: 'modify', orderId: 'b1', symbol: 'ACME', clientId: 'c', quantity, timestamp: '2026-01-01T00:00:01.000Z' },
      new BatchEffects(0),
    )

  // 6 filled and 5 remaining would make 11.
  assert.equal(modify(2, '5').code, 'invalid_quantity')
  assert.equal(engine.core.getOrder('ACME', 'b1')?.remainingLots, 4)

  // Cancelled lots do not count: down to 3, then back up to 4.
  assert.equal(modify(3, '3').code, 'ok')
  assert.equal(modify(4, '4').code, 'ok')
  assert.equal(engine.core.getOrder('ACME', 'b1')?.remainingLots, 4)
})
