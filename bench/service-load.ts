/**
 * HTTP load on POST /orders, closed loop with autocannon or paced at a fixed
 * rate, and the wait until the engine has applied what the API accepted.
 */

import autocannon, { type AutocannonResult } from 'autocannon'
import { setTimeout as sleep } from 'node:timers/promises'
import { createOrderMix, SYMBOLS } from './order-mix.ts'
import { pacedLoad } from './paced-load.ts'

const POLL_INTERVAL_MS = 50
/** Seconds of paced load sent before the measured ones, to open the connections. */
const PACED_WARMUP_SEC = 1

export interface LoadResult {
  offeredRate: number | null
  connections: number
  durationSec: number
  accepted: number
  acceptedPerSec: number
  non2xx: number
  errors: number
  /**
   * POST latencies in ms: autocannon's figures in the closed loop, and from
   * each request's due time at a fixed rate.
   */
  latencyMs: { p50: number, p99: number, max: number }
  /** Fixed rate only: the largest delay, in ms, of a send behind its due time. */
  maxSendLagMs?: number
  /**
   * Id of a marker order per symbol, posted after the load ended. The marker
   * follows every accepted order of its symbol in the log. The order of the
   * last response per symbol need not, because responses arrive out of log order.
   */
  lastIds: Map<string, string>
}

export interface LoadOptions {
  url: string
  connections: number
  durationSec: number
  /** Requests per second over all connections, paced; closed loop when absent. */
  overallRate?: number
  seed: number
}

/** Sends the order mix to POST /orders and returns what the API accepted and how fast. */
export async function loadOrders(options: LoadOptions): Promise<LoadResult> {
  const nextOrder = createOrderMix(options.seed)

  if (options.overallRate !== undefined) {
    const paced = await pacedLoad({
      url: options.url,
      path: '/orders',
      rate: options.overallRate,
      durationSec: options.durationSec,
      warmupSec: PACED_WARMUP_SEC,
      connections: options.connections,
      nextBody: () => JSON.stringify(nextOrder()),
      onResponse: () => {},
    })
    const lastIds = await postMarkers(options.url)
    return {
      offeredRate: options.overallRate,
      connections: options.connections,
      durationSec: options.durationSec,
      accepted: paced.ok,
      // A server that falls behind responds to the last orders after the
      // offered duration, which lowers its rate here.
      acceptedPerSec: Math.round(paced.ok / Math.max(options.durationSec, paced.elapsedSec)),
      non2xx: paced.non2xx,
      errors: paced.errors,
      latencyMs: { p50: paced.latencyMs.p50, p99: paced.latencyMs.p99, max: paced.latencyMs.max },
      maxSendLagMs: paced.maxSendLagMs,
      lastIds,
    }
  }

  const result: AutocannonResult = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSec,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/orders',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: JSON.stringify(nextOrder()) }),
      },
    ],
  })
  const lastIds = await postMarkers(options.url)

  return {
    offeredRate: options.overallRate ?? null,
    connections: options.connections,
    durationSec: options.durationSec,
    accepted: result['2xx'],
    acceptedPerSec: Math.round(result['2xx'] / options.durationSec),
    non2xx: result.non2xx,
    errors: result.errors,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    lastIds,
  }
}

/**
 * Posts one IOC sell at 1000.00 per symbol, above every bid of the order
 * mix, so it cancels without a fill, and returns their ids by symbol.
 */
async function postMarkers(url: string): Promise<Map<string, string>> {
  const markers = new Map<string, string>()
  for (const symbol of SYMBOLS) {
    const order = {
      clientId: 'bench-marker',
      symbol,
      side: 'sell',
      type: 'limit',
      price: '1000.00',
      quantity: '1',
      timeInForce: 'IOC',
    }
    const response = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order),
    })
    if (response.status !== 202) {
      throw new Error(`marker order for ${symbol} failed with status ${response.status}: ${await response.text()}`)
    }
    markers.set(symbol, ((await response.json()) as { id: string }).id)
  }
  return markers
}

/** Returns true once the engine has applied the order: stored with a status other than accepted. */
export type AppliedProbe = (orderId: string) => Promise<boolean>

/** Returns a probe that reads GET /orders/{id} from the API. */
export function apiProbe(url: string): AppliedProbe {
  return async (orderId) => {
    const response = await fetch(`${url}/orders/${orderId}`)
    if (response.status === 404) return false
    if (!response.ok) throw new Error(`GET /orders/${orderId} failed with ${response.status}`)
    const order = (await response.json()) as { status: string }
    return order.status !== 'accepted'
  }
}

export interface AppliedTimes {
  /** Milliseconds from the start of the wait until `first` was applied, when given. */
  firstMs: number | null
  /** Milliseconds from the start of the wait until every id in `last` was applied. */
  lastMs: number
}

/**
 * Polls until every id in `last` is applied. Commands of one partition are
 * applied in offset order, so the last id of each symbol stands for all the
 * commands before it on that symbol.
 */
export async function waitApplied(
  probe: AppliedProbe,
  last: string[],
  timeoutMs: number,
  first?: string,
): Promise<AppliedTimes> {
  const start = performance.now()
  let firstMs: number | null = null
  let pending = [...last]

  while (pending.length > 0) {
    const elapsedMs = performance.now() - start
    if (elapsedMs > timeoutMs) {
      throw new Error(`${pending.length} orders not applied within ${timeoutMs} ms: ${pending.join(', ')}`)
    }
    if (first !== undefined && firstMs === null && (await probe(first))) {
      firstMs = performance.now() - start
    }
    const applied = await Promise.all(pending.map(probe))
    pending = pending.filter((_, i) => !applied[i])
    if (pending.length > 0) await sleep(POLL_INTERVAL_MS)
  }
  return { firstMs, lastMs: performance.now() - start }
}
