/**
 * Deterministic single-symbol order flow for the core benchmark. The same
 * seed and scenario always give the same commands, built as integer arrays
 * (ticks, lots, order indexes) before any timing starts.
 *
 * The model, per command step:
 * - the mid price follows geometric Brownian motion, in ticks, with an
 *   optional drift schedule for a crash-like swing;
 * - a new order is GTC limit or IOC limit (IOC_SHARE). A GTC order is
 *   passive at a power-law distance behind the touch, or marketable
 *   (MARKETABLE_GTC_SHARE); an IOC order crosses the mid by a few ticks;
 * - quantities are uniform in 1..MAX_QUANTITY_LOTS lots;
 * - a GTC order gets a cancel with probability CANCEL_SHARE, most of them
 *   after a short lifetime, and a modify (price, quantity or both) with
 *   probability MODIFY_SHARE, due before its cancel;
 * - a few cancels are sent twice, the second after the order is gone.
 *
 * The generator does not match orders, so a cancel or modify may reach an
 * order that has already filled. The book must reject it, as it would reject
 * a request that raced a fill.
 */

export const KIND_LIMIT = 0
export const KIND_IOC = 1
export const KIND_CANCEL = 2
export const KIND_MODIFY = 3

export const SIDE_BUY = 0
export const SIDE_SELL = 1

const IOC_SHARE = 0.15
const MARKETABLE_GTC_SHARE = 0.08
const MODIFY_SHARE = 0.2
const CANCEL_SHARE = 0.95
const DUPLICATE_CANCEL_SHARE = 0.02
const SHORT_LIFETIME_SHARE = 0.7
/** Mean lifetimes, in command steps, of short-lived and long-lived orders. */
const SHORT_LIFETIME_MEAN_STEPS = 20
const LONG_LIFETIME_MEAN_STEPS = 3000
const DUPLICATE_DELAY_MEAN_STEPS = 50
const MAX_QUANTITY_LOTS = 100
/**
 * Tail exponent of the distance of passive orders behind the touch: the
 * density falls like d^-POWER_LAW_ALPHA. The value is an assumption, heavy
 * enough that a few orders rest far from the touch.
 */
const POWER_LAW_ALPHA = 1.6
const MAX_PASSIVE_DISTANCE_TICKS = 2000
const MAX_CROSS_TICKS = 5

/** One stretch of the run with its own drift of the log mid per step. */
export interface DriftSegment {
  /** Share of the run where the segment starts, 0..1. */
  fromShare: number
  /** Total change of the mid over the segment, as a factor (0.6 = -40 %). */
  factor: number
}

export interface FlowScenario {
  name: string
  description: string
  seed: number
  commands: number
  startMidTicks: number
  /** Standard deviation of the log mid per command step. */
  volatilityPerStep: number
  /** Segments in order of fromShare; the drift is 0 before the first. */
  drift: DriftSegment[]
}

/**
 * A command stream as parallel arrays, index = command number. For a cancel
 * or modify `orderRefs` names the target order; priceTicks or quantityLots
 * of a modify is 0 when it leaves that field unchanged.
 */
export interface OrderFlow {
  scenario: FlowScenario
  length: number
  kinds: Uint8Array
  sides: Uint8Array
  orderRefs: Int32Array
  priceTicks: Int32Array
  quantityLots: Int32Array
  /** Order ids by order ref, made before timing so no run builds strings. */
  orderIds: string[]
  counts: Record<'limit' | 'ioc' | 'cancel' | 'duplicateCancel' | 'modify', number>
  minMidTicks: number
  maxMidTicks: number
}

/** mulberry32: a 32-bit state PRNG, fast and good enough for simulation. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ACTION_CANCEL = 0
const ACTION_MODIFY = 1
const ACTION_DUPLICATE_CANCEL = 2

/** A binary min-heap of scheduled actions keyed by due step. */
class ActionQueue {
  #dueSteps: number[] = []
  #orderRefs: number[] = []
  #actions: number[] = []

  get size(): number {
    return this.#dueSteps.length
  }

  peekDueStep(): number {
    return this.#dueSteps[0]
  }

  push(dueStep: number, orderRef: number, action: number): void {
    const due = this.#dueSteps
    const refs = this.#orderRefs
    const actions = this.#actions
    let i = due.length
    due.push(dueStep)
    refs.push(orderRef)
    actions.push(action)

    while (i > 0) {
      const parent = (i - 1) >> 1
      if (due[parent] <= dueStep) break
      due[i] = due[parent]
      refs[i] = refs[parent]
      actions[i] = actions[parent]
      i = parent
    }
    due[i] = dueStep
    refs[i] = orderRef
    actions[i] = action
  }

  /** Removes the earliest action and returns [orderRef, action]. */
  pop(): [number, number] {
    const due = this.#dueSteps
    const refs = this.#orderRefs
    const actions = this.#actions
    const top: [number, number] = [refs[0], actions[0]]
    const lastDue = due.pop() as number
    const lastRef = refs.pop() as number
    const lastAction = actions.pop() as number
    const size = due.length
    if (size === 0) return top

    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= size) break
      const child = left + 1 < size && due[left + 1] < due[left] ? left + 1 : left
      if (due[child] >= lastDue) break
      due[i] = due[child]
      refs[i] = refs[child]
      actions[i] = actions[child]
      i = child
    }
    due[i] = lastDue
    refs[i] = lastRef
    actions[i] = lastAction
    return top
  }
}

/** Builds the command stream of a scenario. */
export function generateFlow(scenario: FlowScenario): OrderFlow {
  const random = createRandom(scenario.seed)
  const length = scenario.commands
  const kinds = new Uint8Array(length)
  const sides = new Uint8Array(length)
  const orderRefs = new Int32Array(length)
  const priceTicks = new Int32Array(length)
  const quantityLots = new Int32Array(length)
  const orderIds: string[] = []
  const orderSides: number[] = []
  const counts = { limit: 0, ioc: 0, cancel: 0, duplicateCancel: 0, modify: 0 }
  const queue = new ActionQueue()

  let gaussianSpare = Number.NaN
  const gaussian = (): number => {
    if (!Number.isNaN(gaussianSpare)) {
      const value = gaussianSpare
      gaussianSpare = Number.NaN
      return value
    }
    // Box-Muller; 1 - random() keeps the logarithm's argument above 0.
    const radius = Math.sqrt(-2 * Math.log(1 - random()))
    const angle = 2 * Math.PI * random()
    gaussianSpare = radius * Math.sin(angle)
    return radius * Math.cos(angle)
  }
  const exponential = (mean: number): number => -mean * Math.log(1 - random())
  const quantity = (): number => 1 + Math.floor(random() * MAX_QUANTITY_LOTS)
  const passiveDistance = (): number => {
    for (;;) {
      // Inverse transform of a Pareto law with minimum 1, shifted to start at 0.
      const distance = Math.floor(Math.pow(1 - random(), -1 / (POWER_LAW_ALPHA - 1))) - 1
      if (distance <= MAX_PASSIVE_DISTANCE_TICKS) return distance
    }
  }

  let logMid = Math.log(scenario.startMidTicks)
  let minMidTicks = scenario.startMidTicks
  let maxMidTicks = scenario.startMidTicks
  const sigma = scenario.volatilityPerStep
  const driftAt = driftSchedule(scenario)

  // Bids rest at or below the reference tick and asks above it.
  const passivePrice = (side: number, referenceTicks: number): number => {
    const distance = passiveDistance()
    const price = side === SIDE_BUY ? referenceTicks - distance : referenceTicks + 1 + distance
    return price < 1 ? 1 : price
  }
  const crossingPrice = (side: number, referenceTicks: number): number => {
    const cross = Math.floor(random() * (MAX_CROSS_TICKS + 1))
    const price = side === SIDE_BUY ? referenceTicks + 1 + cross : referenceTicks - cross
    return price < 1 ? 1 : price
  }

  for (let step = 0; step < length; step++) {
    logMid += driftAt(step) - (sigma * sigma) / 2 + sigma * gaussian()
    const midTicks = Math.exp(logMid)
    const referenceTicks = Math.floor(midTicks)
    if (midTicks < minMidTicks) minMidTicks = midTicks
    if (midTicks > maxMidTicks) maxMidTicks = midTicks

    if (queue.size > 0 && queue.peekDueStep() <= step) {
      const [orderRef, action] = queue.pop()
      orderRefs[step] = orderRef
      sides[step] = orderSides[orderRef]

      if (action === ACTION_MODIFY) {
        kinds[step] = KIND_MODIFY
        counts.modify++
        const choice = random()
        if (choice < 0.4 || choice >= 0.8) {
          priceTicks[step] = passivePrice(orderSides[orderRef], referenceTicks)
        }
        if (choice >= 0.4) {
          quantityLots[step] = quantity()
        }
        continue
      }

      kinds[step] = KIND_CANCEL
      if (action === ACTION_DUPLICATE_CANCEL) {
        counts.duplicateCancel++
      } else {
        counts.cancel++
        if (random() < DUPLICATE_CANCEL_SHARE) {
          const delay = 1 + Math.floor(exponential(DUPLICATE_DELAY_MEAN_STEPS))
          queue.push(step + delay, orderRef, ACTION_DUPLICATE_CANCEL)
        }
      }
      continue
    }

    const orderRef = orderIds.length
    const side = random() < 0.5 ? SIDE_BUY : SIDE_SELL
    orderIds.push(`o${orderRef}`)
    orderSides.push(side)
    orderRefs[step] = orderRef
    sides[step] = side
    quantityLots[step] = quantity()

    if (random() < IOC_SHARE) {
      kinds[step] = KIND_IOC
      priceTicks[step] = crossingPrice(side, referenceTicks)
      counts.ioc++
      continue
    }

    kinds[step] = KIND_LIMIT
    counts.limit++
    priceTicks[step] = random() < MARKETABLE_GTC_SHARE
      ? crossingPrice(side, referenceTicks)
      : passivePrice(side, referenceTicks)

    const meanLifetime = random() < SHORT_LIFETIME_SHARE ? SHORT_LIFETIME_MEAN_STEPS : LONG_LIFETIME_MEAN_STEPS
    const lifetime = 2 + Math.floor(exponential(meanLifetime))
    const cancels = random() < CANCEL_SHARE
    if (cancels) {
      queue.push(step + lifetime, orderRef, ACTION_CANCEL)
    }
    if (random() < MODIFY_SHARE) {
      // Due within the lifetime, so most modifies reach an order still resting.
      queue.push(step + 1 + Math.floor(random() * (lifetime - 1)), orderRef, ACTION_MODIFY)
    }
  }

  return {
    scenario,
    length,
    kinds,
    sides,
    orderRefs,
    priceTicks,
    quantityLots,
    orderIds,
    counts,
    minMidTicks,
    maxMidTicks,
  }
}

/** Returns the drift of the log mid per step at a step of the run. */
function driftSchedule(scenario: FlowScenario): (step: number) => number {
  const segments = scenario.drift.map((segment, i) => {
    const fromStep = Math.floor(segment.fromShare * scenario.commands)
    const next = scenario.drift[i + 1]
    const toStep = next === undefined ? scenario.commands : Math.floor(next.fromShare * scenario.commands)
    const steps = Math.max(1, toStep - fromStep)
    return { fromStep, toStep, perStep: Math.log(segment.factor) / steps }
  })
  return (step) => {
    for (const segment of segments) {
      if (step >= segment.fromStep && step < segment.toStep) return segment.perStep
    }
    return 0
  }
}

/**
 * Returns the benchmark scenarios, from the deepest standing book (a fixed mid, so
 * passive orders pile up on both sides) to a crash-like swing.
 */
export function defaultScenarios(commands: number, seed: number): FlowScenario[] {
  return [
    {
      name: 'fixed-mid',
      description: 'mid fixed at 100.00, deepest standing book',
      seed: seed,
      commands,
      startMidTicks: 10_000.5,
      volatilityPerStep: 0,
      drift: [],
    },
    {
      name: 'calm',
      description: 'GBM, volatility 2e-5 per command',
      seed: seed + 1,
      commands,
      startMidTicks: 10_000.5,
      volatilityPerStep: 2e-5,
      drift: [],
    },
    {
      name: 'volatile',
      description: 'GBM, volatility 1e-4 per command',
      seed: seed + 2,
      commands,
      startMidTicks: 10_000.5,
      volatilityPerStep: 1e-4,
      drift: [],
    },
    {
      name: 'crash',
      description: 'GBM 5e-5, -40 % over the second fifth of the run, then +25 %',
      seed: seed + 3,
      commands,
      startMidTicks: 10_000.5,
      volatilityPerStep: 5e-5,
      drift: [
        { fromShare: 0.2, factor: 0.6 },
        { fromShare: 0.4, factor: 1.25 },
        { fromShare: 0.7, factor: 1 },
      ],
    },
  ]
}
