/**
 * Minimal HTTP client of the product's order API, for the LOBSTER replay.
 * Decimals travel as strings; prices and quantities come back parsed into
 * dollars × 10000 and whole shares.
 */

import { parseDollarPrice } from './lobster-file.ts'

export type OrderStatus = 'accepted' | 'open' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected'

/** The fields of GET /orders/:id the replay reads. */
export interface ProductOrder {
  id: string
  status: OrderStatus
  reason?: string
  filledQuantity: string
  remainingQuantity: string
  /**
   * Log offset of the last change the engine applied. It is 0 both before the
   * engine applied the order and after it applied the first command of a partition.
   */
  version: number
}

export interface NewOrderRequest {
  clientId: string
  clientOrderId?: string
  symbol: string
  side: 'buy' | 'sell'
  type: 'limit' | 'market'
  price: string | null
  quantity: string
  timeInForce: 'GTC' | 'IOC' | 'FOK'
}

export interface ProductLevel {
  /** Dollars × 10000. */
  priceRaw: number
  /** Whole shares. */
  size: number
  orders: number
}

export interface ProductBook {
  bids: ProductLevel[]
  asks: ProductLevel[]
}

export class ProductRequestError extends Error {
  readonly statusCode: number
  readonly body: string

  constructor(method: string, path: string, statusCode: number, body: string) {
    super(`${method} ${path} failed with HTTP ${statusCode}: ${body.slice(0, 500)}`)
    this.name = 'ProductRequestError'
    this.statusCode = statusCode
    this.body = body
  }
}

/** Statuses after which an order never changes again. */
export const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['filled', 'cancelled', 'rejected'])

export class ProductClient {
  readonly #baseUrl: string
  readonly #requestTimeoutMs: number

  constructor(baseUrl: string, requestTimeoutMs: number) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '')
    this.#requestTimeoutMs = requestTimeoutMs
  }

  /** Sends POST /orders and returns the id of the accepted order. */
  async submit(order: NewOrderRequest): Promise<string> {
    const response = await this.#request('POST', '/orders', order)
    return (response as { id: string }).id
  }

  async getOrder(id: string): Promise<ProductOrder> {
    return (await this.#request('GET', `/orders/${encodeURIComponent(id)}`)) as ProductOrder
  }

  /** Sends DELETE /orders/:id; returns false when the product responds 409 because the order is no longer active. */
  async cancel(id: string): Promise<boolean> {
    try {
      await this.#request('DELETE', `/orders/${encodeURIComponent(id)}`)
      return true
    } catch (error) {
      if (error instanceof ProductRequestError && error.statusCode === 409) return false
      throw error
    }
  }

  /**
   * Sends PATCH /orders/:id with a new remaining quantity; returns false
   * when the product responds 409 because the order is no longer active.
   */
  async changeQuantity(id: string, quantity: string): Promise<boolean> {
    try {
      await this.#request('PATCH', `/orders/${encodeURIComponent(id)}`, { quantity })
      return true
    } catch (error) {
      if (error instanceof ProductRequestError && error.statusCode === 409) return false
      if (error instanceof ProductRequestError && error.body.includes('"route_not_found"')) {
        throw new Error('the product has no PATCH /orders/:id route, which the replay needs to lower an ' +
          'order\'s quantity; use a product version that has it', { cause: error })
      }
      throw error
    }
  }

  async book(symbol: string, depth: number): Promise<ProductBook> {
    const path = `/book/${encodeURIComponent(symbol)}?depth=${depth}`
    const body = (await this.#request('GET', path)) as {
      bids: Array<{ price: string, quantity: string, orders: number }>
      asks: Array<{ price: string, quantity: string, orders: number }>
    }
    return { bids: body.bids.map(toLevel), asks: body.asks.map(toLevel) }
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(this.#requestTimeoutMs) }
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' }
      init.body = JSON.stringify(body)
    }

    const response = await fetch(`${this.#baseUrl}${path}`, init)
    const text = await response.text()
    if (!response.ok) throw new ProductRequestError(method, path, response.status, text)
    return text === '' ? undefined : JSON.parse(text)
  }
}

/** Parses a decimal quantity that must be a whole number of shares. */
export function parseShares(quantity: string): number {
  if (!/^\d+$/.test(quantity)) {
    throw new RangeError(`quantity ${JSON.stringify(quantity)} is not a whole number of shares`)
  }
  return Number(quantity)
}

function toLevel(level: { price: string, quantity: string, orders: number }): ProductLevel {
  return { priceRaw: parseDollarPrice(level.price), size: parseShares(level.quantity), orders: level.orders }
}
