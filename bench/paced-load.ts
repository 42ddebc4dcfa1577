/**
 * Open-loop load at a fixed rate: request i is due at start + i / rate. Its
 * latency runs from that due time to the last byte of the response, so a
 * request that waits for a free connection or a late timer is charged for
 * the wait. Requests go over keep-alive connections, at most `connections`
 * at once; the others wait in the agent's queue.
 *
 * autocannon's overallRate gives each connection a quota per second that it
 * spends back to back, so it offers bursts of closed-loop load at the start
 * of each second rather than a steady rate. This pacer is used instead
 * wherever a fixed offered rate is measured.
 */

import { Agent, request } from 'node:http'
import { percentileOfSorted } from './stats.ts'

export interface PacedLoadOptions {
  url: string
  path: string
  /** Requests per second. */
  rate: number
  durationSec: number
  /**
   * Seconds paced the same way before the measured ones (default 0). Their
   * responses reach onResponse but are not counted, so that opening the
   * connections is not measured.
   */
  warmupSec?: number
  /** Maximum number of requests in flight, one keep-alive connection each. */
  connections: number
  /** Returns the next request body. */
  nextBody(): string
  /** Callback for each response's status code and body. */
  onResponse(status: number, body: string): void
}

export interface PacedLoadResult {
  /** Number of requests sent after the warm-up, the measured ones. */
  sent: number
  /** Number of 2xx responses. non2xx counts the other responses, and errors the requests without one. */
  ok: number
  non2xx: number
  errors: number
  /** Latency percentiles in ms, from each due time to the end of its response. */
  latencyMs: { p50: number, p90: number, p99: number, max: number }
  /** Maximum delay of a send behind its due time, in ms: the pacer's own lag. */
  maxSendLagMs: number
  /**
   * Seconds from the first measured due time to the last measured response.
   * It exceeds durationSec when the server fell behind the offered rate.
   */
  elapsedSec: number
}

const REQUEST_TIMEOUT_MS = 10_000
// The first request is due this long after the call.
const START_DELAY_MS = 20

/** Sends rate × (warmupSec + durationSec) POST requests paced at `rate`; resolves when every one has ended. */
export function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const target = new URL(options.path, options.url)
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  const warmup = Math.round(options.rate * (options.warmupSec ?? 0))
  const total = warmup + Math.round(options.rate * options.durationSec)
  const intervalMs = 1000 / options.rate
  const latencies = new Float64Array(total - warmup)

  let sent = 0
  let ended = 0
  let answered = 0
  let ok = 0
  let non2xx = 0
  let errors = 0
  let maxSendLagMs = 0
  let lastResponseMs = 0
  const start = performance.now() + START_DELAY_MS

  return new Promise((resolve) => {
    const finish = () => {
      if (ended < total) return
      agent.destroy()
      const measured = latencies.subarray(0, answered).sort()
      const round = (ms: number) => Math.round(ms * 100) / 100
      resolve({
        sent: sent - warmup,
        ok,
        non2xx,
        errors,
        latencyMs: {
          p50: round(percentileOfSorted(measured, 50)),
          p90: round(percentileOfSorted(measured, 90)),
          p99: round(percentileOfSorted(measured, 99)),
          max: round(measured.length === 0 ? Number.NaN : measured[measured.length - 1]),
        },
        maxSendLagMs: round(maxSendLagMs),
        elapsedSec: round((lastResponseMs - (start + warmup * intervalMs)) / 1000),
      })
    }

    const send = (dueMs: number, measured: boolean) => {
      const body = options.nextBody()
      let settled = false
      const settle = (status: number | null, responseBody: string) => {
        if (settled) return
        settled = true
        if (status !== null) options.onResponse(status, responseBody)
        if (measured && status === null) {
          errors++
        } else if (measured && status !== null) {
          lastResponseMs = performance.now()
          latencies[answered++] = lastResponseMs - dueMs
          if (status >= 200 && status < 300) ok++
          else non2xx++
        }
        ended++
        finish()
      }

      const outgoing = request(target, {
        agent,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: REQUEST_TIMEOUT_MS,
      })
      let responded = false
      outgoing.on('response', (response) => {
        responded = true
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => settle(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')))
        // A connection cut in the middle of the body emits no error and no end.
        response.on('close', () => {
          if (!response.complete) settle(null, '')
        })
      })
      outgoing.on('timeout', () => {
        outgoing.destroy(new Error(`request timed out: no response within ${REQUEST_TIMEOUT_MS} ms`))
      })
      outgoing.on('error', () => settle(null, ''))
      outgoing.on('close', () => {
        if (!responded) settle(null, '')
      })
      outgoing.end(body)
    }

    const tick = () => {
      const now = performance.now()
      while (sent < total && start + sent * intervalMs <= now) {
        const dueMs = start + sent * intervalMs
        const measured = sent >= warmup
        if (measured) maxSendLagMs = Math.max(maxSendLagMs, now - dueMs)
        sent++
        send(dueMs, measured)
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()))
    }

    setTimeout(tick, START_DELAY_MS)
  })
}
