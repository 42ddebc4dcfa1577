import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'

import { HTTP_PORTS, startApi, type ApiFixture } from './fixtures.ts'

const ORDER = {
  clientId: 'c-http',
  symbol: 'AAPL',
  side: 'buy',
  type: 'limit',
  price: '10.05',
  quantity: '2',
}

/** Parses a JSON response body without type checks, for assertions. */
async function jsonOf(response: Response): Promise<any> {
  return response.json()
}

/** Writes raw bytes to the server, ends the sending side and returns the whole response. */
async function rawExchange(baseUrl: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl)
  const socket = connect({ host: hostname, port: Number(port) })
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.end(bytes)
  await once(socket, 'close')
  return Buffer.concat(chunks).toString('utf8')
}

/** Listens on the first free port of HTTP_PORTS and returns the base URL. */
async function listen(api: ApiFixture): Promise<string> {
  const [first, last] = HTTP_PORTS
  for (let port = first; port <= last; port++) {
    try {
      return await api.app.listen({ host: '127.0.0.1', port })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    }
  }
  throw new Error(`no free port in ${first}-${last}`)
}

describe('API over HTTP', () => {
  let api: ApiFixture
  let baseUrl: string

  before(async () => {
    api = await startApi()
    baseUrl = await listen(api)
  })
  after(async () => {
    await api?.close()
  })

  test('POST /orders over a socket', async () => {
    const response = await fetch(`${baseUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ORDER),
    })
    const body = await jsonOf(response)

    assert.equal(response.status, 202)
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
    assert.equal(body.status, 'accepted')
    assert.equal(body.price, '10.05')
  })

  test('oversized body is 413', async () => {
    const response = await fetch(`${baseUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ORDER, clientOrderId: 'x'.repeat(8000) }),
    })

    assert.equal(response.status, 413)
    assert.equal((await jsonOf(response)).error, 'body_too_large')
  })

  test('oversized chunked body is 413', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 8) {
          controller.close()
          return
        }
        sent++
        controller.enqueue(chunk)
      },
    })
    const response = await fetch(`${baseUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit)

    assert.equal(response.status, 413)
    assert.equal((await jsonOf(response)).error, 'body_too_large')
  })

  for (const [name, bytes] of [
    ['a body shorter than its Content-Length', 'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"clientId":"c"}'],
    ['a request line that is not HTTP', 'NOT A REQUEST\r\n\r\n'],
  ]) {
    test(`${name} gets invalid_request`, async () => {
      const answer = await rawExchange(baseUrl, bytes)
      const [head, body] = answer.split('\r\n\r\n')

      assert.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/)
      assert.match(head, /\r\nX-Request-Id: [0-9a-f-]{36}\r\n/)
      assert.equal(JSON.parse(body).error, 'invalid_request')
      assert.match(JSON.parse(body).message, /^the HTTP request is malformed \(.+\): check the request line/)
    })
  }

  test('non-JSON content type is 415', async () => {
    const response = await fetch(`${baseUrl}/ordenes`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'tipo=compra',
    })

    assert.equal(response.status, 415)
    assert.equal((await jsonOf(response)).error, 'unsupported_media_type')
  })

  test('Swagger UI at /docs', async () => {
    const response = await fetch(`${baseUrl}/docs`)

    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /text\/html/)
  })

  test('OpenAPI JSON at /docs/json', async () => {
    const response = await fetch(`${baseUrl}/docs/json`)
    const document = await jsonOf(response)

    assert.equal(response.status, 200)
    assert.ok(document.paths['/orders'].get, 'GET /orders documented')
    assert.ok(document.paths['/ready'].get, 'GET /ready documented')
  })
})
