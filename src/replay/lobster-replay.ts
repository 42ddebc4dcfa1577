/**
 * Feeds a LOBSTER replay plan through the product's HTTP API, one message at
 * a time, and compares the product's book with the LOBSTER row after each.
 *
 * After every command the replay polls GET /orders/:id until the engine has
 * applied it: a new order leaves status accepted, a cancel or quantity change
 * raises the order's version. The engine writes a batch's orders and levels
 * in parallel, so a stored order does not prove that GET /book is current.
 * A barrier closes that gap. After each step the replay submits a probe, a
 * FOK buy of 1 at 0.01, which cannot fill while no ask rests at 0.01 and so
 * leaves the book unchanged. The probe is appended after the step's order was
 * seen stored, so it lands in a later batch, and the engine persists a
 * partition's batches one after another. Once the probe shows its final
 * status, the step's levels are stored too.
 */

import { randomUUID } from 'node:crypto'

import type { Logger } from 'pino'

import { formatLobsterPrice, type LobsterBookRow } from './lobster-file.ts'
import {
  compareWithRow,
  diffWithRow,
  seedBounds,
  topOfBookCauses,
  type DifferenceCause,
  type LevelDifference,
  type RowComparison,
  type SeedBounds,
} from './lobster-compare.ts'
import type { PlanCommand, PlanRef, PlanStep, ReplayPlan, SkipReason, SubmitCommand } from './lobster-plan.ts'
import {
  FINAL_STATUSES,
  parseShares,
  ProductRequestError,
  type OrderStatus,
  type ProductBook,
  type ProductClient,
  type ProductOrder,
} from './product-client.ts'

/** Client ids the replay submits under, one a role, so trades show who was maker and taker. */
export const REPLAY_CLIENTS = {
  seed: 'lobster-seed',
  order: 'lobster-order',
  taker: 'lobster-taker',
  barrier: 'lobster-barrier',
} as const

/** Price of the barrier probe, valid for every tick size that divides 0.01 (0.01, 0.005, 0.0001, ...). */
const BARRIER_PRICE = '0.01'
const BARRIER_QUANTITY = '1'

/** Bounds of the wait between two polls of an order, in ms. */
const FIRST_POLL_DELAY_MS = 1
const MAX_POLL_DELAY_MS = 20

export interface ReplayOptions {
  client: ProductClient
  symbol: string
  plan: ReplayPlan
  /** LOBSTER rows to compare with, row k after step k; without them nothing is compared. */
  books?: readonly LobsterBookRow[]
  /** Levels per side read from GET /book and compared. */
  depth: number
  /** Bound on the wait for the engine to apply one command, in ms. */
  applyTimeoutMs: number
  /** Sends the barrier probe after each step (default true); see the file comment. */
  barrier?: boolean
  logger: Logger
  /** Called after each step, once the product has applied it; the replay waits for it. */
  onStep?: (result: StepResult) => void | Promise<void>
  /**
   * Prefix of every clientOrderId; a random one by default. The product
   * rejects a repeated clientOrderId, so each run of a plan needs its own.
   */
  runId?: string
}

export interface CommandOutcome {
  command: PlanCommand
  /** not_resting: a cancel or reduce whose order had already left the product's book. */
  result: 'applied' | 'not_resting'
  /** The product's id of the order the command submitted or changed. */
  orderId?: string
  /** The order's status once the engine applied the command. */
  status?: OrderStatus
}

export interface StepResult {
  /** 0-based index of the step; LOBSTER row `index + 1`. */
  index: number
  step: PlanStep
  outcomes: CommandOutcome[]
  /** The product's book after the step, `depth` levels a side. */
  book: ProductBook
  /** Present when LOBSTER rows were given, like the two fields after it. */
  comparison?: RowComparison
  /** Levels that differ from the LOBSTER row, with their probable cause. */
  differences?: LevelDifference[]
  /** Cause of each side whose best level differs from the LOBSTER row. */
  topOfBookCauses?: DifferenceCause[]
}

export interface ReplaySummary {
  messages: number
  /** Messages that became at least one product command. */
  sent: number
  skipped: number
  skippedByReason: Partial<Record<SkipReason, number>>
  seedOrders: number
  commands: number
  /** Cancels and reduces whose order was no longer resting in the product. */
  notResting: number
  rowsCompared: number
  topOfBookMatches: number
  fullDepthMatches: number
  /** Rows whose full depth differs, counted once under each cause they show. */
  rowsByCause: Partial<Record<DifferenceCause, number>>
  /** Rows whose top of book differs, counted once under each cause their best levels show. */
  topOfBookMismatchesByCause: Partial<Record<DifferenceCause, number>>
  elapsedMs: number
}

export class ReplayError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ReplayError'
  }
}

/** Replays the plan and returns its summary; throws ReplayError when the product fails to apply a command. */
export async function replayLobster(options: ReplayOptions): Promise<ReplaySummary> {
  const runner = new ReplayRunner(options)
  return runner.run()
}

class ReplayRunner {
  readonly #options: ReplayOptions
  readonly #client: ProductClient
  readonly #logger: Logger
  /** Plan reference -> product order id. */
  readonly #orderIds = new Map<PlanRef, string>()
  readonly #seedBounds: SeedBounds
  #barriers = 0
  #runId: string

  constructor(options: ReplayOptions) {
    this.#options = options
    this.#runId = options.runId ?? randomUUID().slice(0, 8)
    this.#client = options.client
    this.#logger = options.logger
    this.#seedBounds = seedBounds(options.plan.seed)
  }

  async run(): Promise<ReplaySummary> {
    const { plan, books, depth, onStep } = this.#options
    const startedMs = Date.now()
    const summary: ReplaySummary = {
      messages: plan.steps.length,
      sent: 0,
      skipped: 0,
      skippedByReason: {},
      seedOrders: plan.seed.length,
      commands: 0,
      notResting: 0,
      rowsCompared: 0,
      topOfBookMatches: 0,
      fullDepthMatches: 0,
      rowsByCause: {},
      topOfBookMismatchesByCause: {},
      elapsedMs: 0,
    }
    this.#logger.info({ symbol: this.#options.symbol, seedOrders: plan.seed.length, messages: plan.steps.length },
      'LOBSTER replay starting')

    for (const seed of plan.seed) await this.#submit(seed)
    await this.#barrier()

    for (const [index, step] of plan.steps.entries()) {
      const outcomes: CommandOutcome[] = []
      for (const command of step.commands) outcomes.push(await this.#apply(step, command))
      if (step.commands.length > 0) await this.#barrier()

      countStep(summary, step, outcomes)
      const book = await this.#client.book(this.#options.symbol, depth)
      const result: StepResult = { index, step, outcomes, book }

      const row = books?.[index]
      if (row !== undefined) {
        result.comparison = compareWithRow(book, row, depth)
        result.differences = diffWithRow(book, row, depth, this.#seedBounds)
        result.topOfBookCauses = topOfBookCauses(book, row, depth, this.#seedBounds)
        countComparison(summary, result)
      }
      if (onStep !== undefined) await onStep(result)
    }

    summary.elapsedMs = Date.now() - startedMs
    this.#logger.info({ ...summary, barriers: this.#barriers }, 'LOBSTER replay finished')
    return summary
  }

  async #apply(step: PlanStep, command: PlanCommand): Promise<CommandOutcome> {
    try {
      if (command.kind === 'submit') return await this.#submit(command)
      return await this.#remove(command.ref, command.kind === 'reduce' ? command.size : undefined, command)
    } catch (error) {
      this.#logger.error({ err: error, row: step.message.row, ref: command.ref, orderId: this.#orderIds.get(command.ref) },
        'LOBSTER replay command failed')
      throw new ReplayError(`LOBSTER row ${step.message.row}: ${command.kind} of ${command.ref} failed: ` +
        `${(error as Error).message}`, { cause: error })
    }
  }

  async #submit(command: SubmitCommand): Promise<CommandOutcome> {
    const clientId = command.ref.startsWith('seed:')
      ? REPLAY_CLIENTS.seed
      : command.ref.startsWith('taker:') ? REPLAY_CLIENTS.taker : REPLAY_CLIENTS.order

    const orderId = await this.#client.submit({
      clientId,
      clientOrderId: `${this.#runId}:${command.ref}`,
      symbol: this.#options.symbol,
      side: command.side,
      type: 'limit',
      price: formatLobsterPrice(command.priceRaw),
      quantity: String(command.quantity),
      timeInForce: command.timeInForce,
    })
    this.#orderIds.set(command.ref, orderId)

    const applied = await this.#waitFor(orderId, command.ref, isApplied)
    return { command, result: 'applied', orderId, status: applied.status }
  }

  /**
   * Cancels the order behind `ref`, or with `size` lowers its remaining
   * quantity by that many shares, cancelling it when no more is left.
   */
  async #remove(ref: PlanRef, size: number | undefined, command: PlanCommand): Promise<CommandOutcome> {
    const orderId = this.#orderIds.get(ref)
    if (orderId === undefined) return { command, result: 'not_resting' }

    const before = await this.#client.getOrder(orderId)
    if (FINAL_STATUSES.has(before.status)) return { command, result: 'not_resting', orderId, status: before.status }

    const remaining = parseShares(before.remainingQuantity)
    const sent = size === undefined || remaining <= size
      ? await this.#client.cancel(orderId)
      : await this.#client.changeQuantity(orderId, String(remaining - size))
    if (!sent) return { command, result: 'not_resting', orderId, status: before.status }

    const applied = await this.#waitFor(orderId, ref, (order) => order.version > before.version)
    return { command, result: 'applied', orderId, status: applied.status }
  }

  async #barrier(): Promise<void> {
    if (this.#options.barrier === false) return

    const orderId = await this.#client.submit({
      clientId: REPLAY_CLIENTS.barrier,
      symbol: this.#options.symbol,
      side: 'buy',
      type: 'limit',
      price: BARRIER_PRICE,
      quantity: BARRIER_QUANTITY,
      timeInForce: 'FOK',
    })
    const probe = await this.#waitFor(orderId, 'barrier', isApplied)
    this.#barriers++

    if (probe.status === 'filled' || probe.filledQuantity !== '0') {
      throw new ReplayError(`barrier probe ${orderId} filled at ${BARRIER_PRICE}, so it changed the book; ` +
        'the replay needs a book without asks at the lowest tick')
    }
  }

  /** Polls the order until `done` returns true for it. */
  async #waitFor(orderId: string, ref: string, done: (order: ProductOrder) => boolean): Promise<ProductOrder> {
    const deadline = Date.now() + this.#options.applyTimeoutMs
    let delayMs = FIRST_POLL_DELAY_MS
    let last: ProductOrder | undefined

    for (;;) {
      try {
        last = await this.#client.getOrder(orderId)
        if (done(last)) return last
      } catch (error) {
        // The acceptance copy may be missing until the engine writes the order.
        if (!(error instanceof ProductRequestError && error.statusCode === 404)) throw error
      }

      if (Date.now() > deadline) {
        const state = last === undefined ? 'not found' : `status ${last.status}, version ${last.version}`
        throw new ReplayError(`order ${orderId} (${ref}) was not applied by the engine within ` +
          `${this.#options.applyTimeoutMs} ms (${state}); check that the engine worker runs`)
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      delayMs = Math.min(delayMs * 2, MAX_POLL_DELAY_MS)
    }
  }
}

/**
 * True once the engine has applied a new order. The check reads the status
 * because the version cannot show it: the first command of a partition has
 * offset 0, which is also the version of an order the engine has not seen.
 */
function isApplied(order: ProductOrder): boolean {
  return order.status !== 'accepted'
}

function countStep(summary: ReplaySummary, step: PlanStep, outcomes: CommandOutcome[]): void {
  if (step.skipReason !== undefined) {
    summary.skipped++
    summary.skippedByReason[step.skipReason] = (summary.skippedByReason[step.skipReason] ?? 0) + 1
  }
  if (outcomes.length > 0) summary.sent++

  summary.commands += outcomes.length
  summary.notResting += outcomes.filter((outcome) => outcome.result === 'not_resting').length
}

function countComparison(summary: ReplaySummary, result: StepResult): void {
  summary.rowsCompared++
  if (result.comparison!.topOfBook) summary.topOfBookMatches++
  if (result.comparison!.fullDepth) summary.fullDepthMatches++

  for (const cause of new Set(result.differences!.map((difference) => difference.cause))) {
    summary.rowsByCause[cause] = (summary.rowsByCause[cause] ?? 0) + 1
  }
  for (const cause of new Set(result.topOfBookCauses)) {
    summary.topOfBookMismatchesByCause[cause] = (summary.topOfBookMismatchesByCause[cause] ?? 0) + 1
  }
}
