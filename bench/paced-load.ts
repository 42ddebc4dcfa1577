/**
 * Open-loop load at a fixed rate: request i is due at start + i / rate. Its
 * latency runs from that due time to the last byte of the response, so a
 * request that waits for a free connection or a late timer is charged for
 * the wait. Requests go over keep-alive connections, at most `connections`
 * at once, one request in flight on each; the others wait in a queue.
 *
 * The client writes prepared request bytes to plain TCP sockets and reads
 * only the status line, Content-Length (or chunked framing) and the body.
 * It shares the cores with the service it measures, and Node's HTTP client
 * cost about 0.11 ms of CPU per request here. Every body is built before
 * the first request is due.
 *
 * autocannon's overallRate gives each connection a quota per second that it
 * spends back to back, so it offers bursts of closed-loop load at the start
 * of each second rather than a steady rate. This pacer is used instead
 * wherever a fixed offered rate is measured.
 */

import { connect, type Socket } from 'node:net'
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
  /** Returns the next request body. The pacer calls it for every request before the first one is due. */
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
const HEADER_END = Buffer.from('\r\n\r\n')

/** Outcome of one request: the status and body, or null status when no whole response came. */
type Settle = (status: number | null, body: string) => void

/**
 * Reads one HTTP/1.1 response from the bytes received so far. Returns null
 * while it is incomplete. Supports Content-Length and chunked bodies.
 */
export interface ParsedResponse {
  status: number
  body: string
  keepAlive: boolean
}

export function parseResponse(bytes: Buffer): ParsedResponse | null {
  const headerEnd = bytes.indexOf(HEADER_END)
  if (headerEnd < 0) return null

  const lines = bytes.subarray(0, headerEnd).toString('latin1').split('\r\n')
  const status = Number(lines[0].split(' ')[1])
  let contentLength = -1
  let chunked = false
  let keepAlive = true
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim().toLowerCase()
    if (name === 'content-length') contentLength = Number(value)
    else if (name === 'transfer-encoding') chunked = value.includes('chunked')
    else if (name === 'connection') keepAlive = value !== 'close'
  }

  const bodyStart = headerEnd + HEADER_END.length
  if (!chunked) {
    const length = contentLength < 0 ? 0 : contentLength
    if (bytes.length < bodyStart + length) return null
    const body = bytes.subarray(bodyStart, bodyStart + length).toString('utf8')
    return { status, body, keepAlive }
  }

  const chunks: Buffer[] = []
  let offset = bodyStart
  for (;;) {
    const sizeEnd = bytes.indexOf('\r\n', offset)
    if (sizeEnd < 0) return null
    const size = Number.parseInt(bytes.subarray(offset, sizeEnd).toString('latin1'), 16)
    const dataStart = sizeEnd + 2
    if (bytes.length < dataStart + size + 2) return null
    if (size === 0) {
      // The last chunk ends with an empty line, since no trailers are expected.
      return { status, body: Buffer.concat(chunks).toString('utf8'), keepAlive }
    }
    chunks.push(bytes.subarray(dataStart, dataStart + size))
    offset = dataStart + size + 2
  }
}

/** One keep-alive connection with at most one request in flight. */
class Connection {
  readonly #socket: Socket
  #received: Buffer = Buffer.alloc(0)
  #settle: Settle | null = null
  #closing = false

  /**
   * onFree runs after each response when the connection can take another
   * request, and onClose once when it closes.
   */
  constructor(
    host: string,
    port: number,
    onFree: (connection: Connection) => void,
    onClose: (connection: Connection) => void,
  ) {
    this.#socket = connect({ host, port, noDelay: true })
    this.#socket.setTimeout(REQUEST_TIMEOUT_MS, () => this.#socket.destroy())
    this.#socket.on('data', (chunk: Buffer) => {
      if (this.#onData(chunk)) onFree(this)
    })
    // A reset, a refused connection or a close in the middle of a response
    // ends the request in flight without a response.
    this.#socket.on('error', () => {})
    this.#socket.on('close', () => {
      this.#closing = true
      this.#finish(null, '')
      onClose(this)
    })
  }

  send(request: Buffer, settle: Settle): void {
    this.#settle = settle
    this.#received = Buffer.alloc(0)
    this.#socket.write(request)
  }

  destroy(): void {
    this.#socket.destroy()
  }

  /** Returns true when a whole response arrived and the connection stays open. */
  #onData(chunk: Buffer): boolean {
    this.#received = this.#received.length === 0 ? chunk : Buffer.concat([this.#received, chunk])
    const response = parseResponse(this.#received)
    if (response === null) return false

    if (!response.keepAlive) {
      this.#closing = true
      this.#socket.end()
    }
    this.#finish(response.status, response.body)
    return !this.#closing
  }

  #finish(status: number | null, body: string): void {
    const settle = this.#settle
    if (settle === null) return
    this.#settle = null
    this.#received = Buffer.alloc(0)
    settle(status, body)
  }
}

/** Sends rate × (warmupSec + durationSec) POST requests paced at `rate`; resolves when every one has ended. */
export function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const target = new URL(options.path, options.url)
  const host = target.hostname
  const port = Number(target.port || 80)
  const warmup = Math.round(options.rate * (options.warmupSec ?? 0))
  const total = warmup + Math.round(options.rate * options.durationSec)
  const intervalMs = 1000 / options.rate
  const latencies = new Float64Array(total - warmup)

  const requests: Buffer[] = []
  for (let i = 0; i < total; i++) {
    const body = options.nextBody()
    requests.push(
      Buffer.from(
        `POST ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      ),
    )
  }

  let sent = 0
  let ended = 0
  let answered = 0
  let ok = 0
  let non2xx = 0
  let errors = 0
  let maxSendLagMs = 0
  let lastResponseMs = 0
  const idle: Connection[] = []
  const queued: { request: Buffer, settle: Settle }[] = []
  const connections = new Set<Connection>()
  const start = performance.now() + START_DELAY_MS

  const onFree = (connection: Connection) => {
    const next = queued.shift()
    if (next === undefined) idle.push(connection)
    else connection.send(next.request, next.settle)
  }

  const onClose = (connection: Connection) => {
    connections.delete(connection)
    const index = idle.indexOf(connection)
    if (index >= 0) idle.splice(index, 1)
    // A queued request takes the place of the closed connection.
    const next = queued.shift()
    if (next !== undefined) dispatch(next.request, next.settle)
  }

  const dispatch = (request: Buffer, settle: Settle) => {
    let connection = idle.pop()
    if (connection === undefined && connections.size < options.connections) {
      connection = new Connection(host, port, onFree, onClose)
      connections.add(connection)
    }
    if (connection === undefined) queued.push({ request, settle })
    else connection.send(request, settle)
  }

  return new Promise((resolve) => {
    const finish = () => {
      if (ended < total) return
      for (const connection of connections) connection.destroy()
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
        elapsedSec: answered === 0 ? 0 : round((lastResponseMs - (start + warmup * intervalMs)) / 1000),
      })
    }

    const send = (index: number, dueMs: number, measured: boolean) => {
      dispatch(requests[index], (status, body) => {
        if (status !== null) options.onResponse(status, body)
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
      })
    }

    const tick = () => {
      const now = performance.now()
      while (sent < total && start + sent * intervalMs <= now) {
        const dueMs = start + sent * intervalMs
        const measured = sent >= warmup
        if (measured) maxSendLagMs = Math.max(maxSendLagMs, now - dueMs)
        send(sent, dueMs, measured)
        sent++
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()))
    }

    setTimeout(tick, START_DELAY_MS)
  })
}
