/** Small HTTP helpers for end-to-end tests against a running service. */

export interface JsonResponse {
  status: number
  headers: Headers
  body: any
}

export async function request(baseUrl: string, method: string, path: string, body?: unknown): Promise<JsonResponse> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // Not JSON, so the test gets the raw text.
  }
  return { status: response.status, headers: response.headers, body: parsed }
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`)
}

/** Waits until the engine has applied the order's last command and its status satisfies `done`. */
export async function waitForOrder(baseUrl: string, id: string, done: (order: any) => boolean, timeoutMs?: number): Promise<any> {
  return waitFor(`order ${id}`, async () => {
    const response = await request(baseUrl, 'GET', `/orders/${id}`)
    if (response.status === 200 && done(response.body)) return response.body
    return undefined
  }, timeoutMs)
}
