/**
 * The matching state of one partition: the core's books for every symbol
 * keyed to the partition, plus the order metadata the core does not keep.
 * Applying a command mutates the state and records its effects in a batch;
 * the state is a deterministic function of the commands applied.
 */

import { MatchingEngine } from '../core/matching-engine.ts'
import { priceToTicks, quantityToLots, type Instrument } from '../core/instrument.ts'
import type { InstrumentRegistry } from '../core/instrument-registry.ts'
import type { CommandResult, OrderChange, Side } from '../core/types.ts'
import type { CancelCommand, Command, ModifyCommand, NewOrderCommand } from '../log/commands.ts'
import type { BatchEffects, LevelSource, MetaSource } from './batch-effects.ts'
import { isResting, toTradeRecord, type OrderMeta } from './records.ts'

const SNAPSHOT_FORMAT = 1

/** Outcome of one command, for the worker's log. */
export interface ApplyOutcome {
  code: string
  orderId: string
  /** Set when the command cannot be applied at all and belongs in the dead letters. */
  deadLetterReason?: string
}

interface SnapshotBody {
  format: typeof SNAPSHOT_FORMAT
  partition: number
  lastOffset: number
  core: unknown
  meta: Array<[string, OrderMeta]>
  /** Tick and lot size of every symbol in the books, since prices and quantities are stored in them. */
  instruments?: Record<string, { tickSize: string, lotSize: string }>
}

/** The configuration gives a traded symbol another tick or lot size than its snapshot was taken with. */
export class InstrumentChangedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InstrumentChangedError'
  }
}

export class PartitionEngine implements MetaSource, LevelSource {
  readonly partition: number
  #core: MatchingEngine
  #meta: Map<string, OrderMeta>
  #instruments: InstrumentRegistry
  #lastOffset: number

  constructor(partition: number, instruments: InstrumentRegistry, core = new MatchingEngine(), meta = new Map<string, OrderMeta>(), lastOffset = -1) {
    this.partition = partition
    this.#instruments = instruments
    this.#core = core
    this.#meta = meta
    this.#lastOffset = lastOffset
  }

  /** Rebuilds the state a snapshot body describes. */
  static restore(body: string, instruments: InstrumentRegistry): PartitionEngine {
    const parsed = JSON.parse(body) as SnapshotBody
    if (parsed.format !== SNAPSHOT_FORMAT) {
      throw new Error(`snapshot format ${parsed.format} is not supported (expected ${SNAPSHOT_FORMAT})`)
    }

    for (const [symbol, sizes] of Object.entries(parsed.instruments ?? {})) {
      const current = instruments.get(symbol)
      if (current.tickSize !== sizes.tickSize || current.lotSize !== sizes.lotSize) {
        throw new InstrumentChangedError(
          `partition ${parsed.partition}: ${symbol} has resting orders in tickSize ${sizes.tickSize} and ` +
            `lotSize ${sizes.lotSize}, but the configuration now says tickSize ${current.tickSize} and ` +
            `lotSize ${current.lotSize}; restore the previous INSTRUMENTS entry, since ticks and lots of a ` +
            'traded symbol cannot change in place',
        )
      }
    }

    const core = MatchingEngine.restore(parsed.core as Parameters<typeof MatchingEngine.restore>[0])
    return new PartitionEngine(parsed.partition, instruments, core, new Map(parsed.meta), parsed.lastOffset)
  }

  /** Offset of the last command applied; -1 before the first. */
  get lastOffset(): number {
    return this.#lastOffset
  }

  get core(): MatchingEngine {
    return this.#core
  }

  snapshotBody(): string {
    const body: SnapshotBody = {
      format: SNAPSHOT_FORMAT,
      partition: this.partition,
      lastOffset: this.#lastOffset,
      core: this.#core.snapshot(),
      meta: [...this.#meta],
      instruments: {},
    }
    for (const symbol of this.#core.symbols()) {
      const { tickSize, lotSize } = this.#instruments.get(symbol)
      body.instruments![symbol] = { tickSize, lotSize }
    }
    return JSON.stringify(body)
  }

  instrument(symbol: string): Instrument {
    return this.#instruments.get(symbol)
  }

  meta(orderId: string): OrderMeta | undefined {
    return this.#meta.get(orderId)
  }

  level(symbol: string, side: Side, priceTicks: number): { quantityLots: number, orderCount: number } | null {
    return this.#core.level(symbol, side, priceTicks)
  }

  /** Applies one decoded command at `offset` and records its effects. */
  apply(offset: number, command: Command, batch: BatchEffects): ApplyOutcome {
    batch.advance(offset)
    this.#lastOffset = offset

    switch (command.kind) {
      case 'new':
        return this.#submit(offset, command, batch)
      case 'cancel':
        return this.#cancel(offset, command, batch)
      case 'modify':
        return this.#modify(offset, command, batch)
    }
  }

  /** Moves past a record that cannot be applied, so that it is never retried. */
  skip(offset: number, batch: BatchEffects): void {
    batch.advance(offset)
    this.#lastOffset = offset
  }

  /** Forgets the metadata of orders that left the book in this batch. */
  release(batch: BatchEffects): void {
    for (const id of batch.inactiveOrderIds()) this.#meta.delete(id)
  }

  #submit(offset: number, command: NewOrderCommand, batch: BatchEffects): ApplyOutcome {
    const instrument = this.instrument(command.symbol)

    let priceTicks: number | null = null
    if (command.price !== null) {
      const ticks = priceToTicks(instrument, String(command.price))
      if (typeof ticks !== 'number') {
        return { code: 'invalid', orderId: command.id, deadLetterReason: `price ${JSON.stringify(command.price)}: ${ticks}` }
      }
      priceTicks = ticks
    }

    const lots = quantityToLots(instrument, String(command.quantity))
    if (typeof lots !== 'number') {
      return { code: 'invalid', orderId: command.id, deadLetterReason: `quantity ${JSON.stringify(command.quantity)}: ${lots}` }
    }

    const result = this.#core.submit(offset, command.symbol, {
      id: command.id,
      clientId: command.clientId,
      side: command.side,
      type: command.type,
      priceTicks,
      quantityLots: lots,
      timeInForce: command.timeInForce ?? 'GTC',
      timestampMs: Date.parse(command.timestamp),
    })

    if (result.code === 'duplicate_order_id' || result.code === 'stale_sequence' || result.order === null) {
      return { code: result.code, orderId: command.id, deadLetterReason: `order rejected: ${result.code}` }
    }

    const meta: OrderMeta = { timestamp: command.timestamp, source: command.source ?? 'orders' }
    if (command.clientOrderId !== undefined) meta.clientOrderId = command.clientOrderId
    this.#meta.set(command.id, meta)

    batch.touchOrder(result.order, false)
    this.#recordFills(instrument, result, batch)
    if (isResting(result.order)) {
      batch.touchLevel(command.symbol, command.side, result.order.priceTicks as number)
    }
    return { code: result.code, orderId: command.id }
  }

  #cancel(offset: number, command: CancelCommand, batch: BatchEffects): ApplyOutcome {
    const resting = this.#core.getOrder(command.symbol, command.orderId)
    if (resting !== null) batch.touchOrder(resting, true)

    const result = this.#core.cancel(offset, command.symbol, command.orderId, Date.parse(command.timestamp))
    if (result.code === 'ok' && resting !== null) {
      batch.touchLevel(command.symbol, resting.side, resting.priceTicks as number)
    }
    return { code: result.code, orderId: command.orderId }
  }

  #modify(offset: number, command: ModifyCommand, batch: BatchEffects): ApplyOutcome {
    const instrument = this.instrument(command.symbol)
    const change: OrderChange = {}

    if (command.price !== undefined) {
      const ticks = priceToTicks(instrument, String(command.price))
      if (typeof ticks !== 'number') {
        return { code: 'invalid', orderId: command.orderId, deadLetterReason: `price ${JSON.stringify(command.price)}: ${ticks}` }
      }
      change.priceTicks = ticks
    }
    if (command.quantity !== undefined) {
      const lots = quantityToLots(instrument, String(command.quantity))
      if (typeof lots !== 'number') {
        return { code: 'invalid', orderId: command.orderId, deadLetterReason: `quantity ${JSON.stringify(command.quantity)}: ${lots}` }
      }
      change.quantityLots = lots
    }

    const resting = this.#core.getOrder(command.symbol, command.orderId)
    // The new remaining quantity is within the limits, and so must be what
    // the order can trade in all: its fills and the new remaining quantity.
    if (resting !== null && change.quantityLots !== undefined) {
      if (resting.filledLots + change.quantityLots > instrument.maxLots) {
        return { code: 'invalid_quantity', orderId: command.orderId }
      }
    }
    const oldPriceTicks = resting?.priceTicks ?? null
    if (resting !== null) batch.touchOrder(resting, true)

    const result = this.#core.modify(offset, command.symbol, command.orderId, change, Date.parse(command.timestamp))
    if (result.code !== 'ok' || result.order === null || resting === null) {
      return { code: result.code, orderId: command.orderId }
    }

    batch.touchLevel(command.symbol, resting.side, oldPriceTicks as number)
    this.#recordFills(instrument, result, batch)
    if (isResting(result.order)) {
      batch.touchLevel(command.symbol, result.order.side, result.order.priceTicks as number)
    }
    return { code: result.code, orderId: command.orderId }
  }

  #recordFills(instrument: Instrument, result: CommandResult, batch: BatchEffects): void {
    for (const fill of result.fills) {
      batch.touchOrder(fill.maker, true)
      batch.touchLevel(fill.symbol, fill.maker.side, fill.priceTicks)
      batch.addTrade(toTradeRecord(instrument, fill))
    }
  }
}
