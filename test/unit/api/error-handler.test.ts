import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Writable } from 'node:stream'

import { pino } from 'pino'

import { AppError } from '../../../src/errors.ts'
import { buildGuardedApp, type GuardedApp } from './helpers.ts'

/** Collects the app's log lines as parsed JSON objects. */
function captureLogs(): { lines: Array<Record<string, unknown>>; logger: pino.Logger } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()))
      done()
    },
  })
  return { lines, logger: pino({ level: 'debug' }, stream) }
}

describe('error handler', () => {
  let guarded: GuardedApp
  const logs = captureLogs()

  before(async () => {
    guarded = await buildGuardedApp(logs.logger)
    guarded.app.get('/test/type-error', async () => {
      throw new TypeError('secret internal detail')
    })
    guarded.app.get('/test/log-unavailable', async () => {
      throw new AppError('log_unavailable', 'the command log did not acknowledge the command')
    })
    guarded.app.get('/test/forbidden', async () => {
      // The http-errors 403 that @fastify/send gives @fastify/static for a path outside its root.
      throw Object.assign(new Error('Forbidden'), { status: 403, statusCode: 403, expose: true })
    })
    guarded.app.get('/test/order-not-active', async () => {
      throw new AppError('order_not_active', 'order o-1 is filled', { fields: { status: 'filled' } })
    })
  })
  after(async () => {
    await guarded.app.close()
  })

  test('unknown route is 404', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/nowhere?x=1' })

    assert.equal(response.statusCode, 404)
    assert.equal(response.json().error, 'route_not_found')
    assert.match(response.json().message, /GET \/nowhere/)
  })

  test('wrong method is 405', async () => {
    const response = await guarded.app.inject({ method: 'PUT', url: '/orders' })

    assert.equal(response.statusCode, 405)
    assert.equal(response.json().error, 'method_not_allowed')
    assert.equal(response.headers.allow, 'GET, HEAD, POST')
    assert.match(response.json().message, /PUT is not allowed on \/orders/)
  })

  test('405 before the body is read', async () => {
    const response = await guarded.app.inject({
      method: 'POST',
      url: '/orders/0b6f3f0e-0000-4000-8000-000000000000',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    })

    assert.equal(response.statusCode, 405)
    assert.equal(response.headers.allow, 'GET, HEAD, PATCH, DELETE')
    assert.deepEqual(guarded.ioCalls, [])
  })

  test('wrong method on the book is 405', async () => {
    const response = await guarded.app.inject({ method: 'DELETE', url: '/book/AAPL' })

    assert.equal(response.statusCode, 405)
    assert.equal(response.headers.allow, 'GET, HEAD')
  })

  test('500 hides the message', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/test/type-error' })
    const requestId = response.headers['x-request-id']

    assert.equal(response.statusCode, 500)
    assert.equal(response.json().error, 'internal_error')
    assert.doesNotMatch(response.body, /secret/)
    assert.equal(typeof requestId, 'string')
    assert.match(response.json().message, new RegExp(String(requestId)))
  })

  test('500 logged with request id', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/test/type-error' })
    const requestId = response.headers['x-request-id']
    const logged = logs.lines.find((line) => line.requestId === requestId && line.level === 50)

    assert.ok(logged, 'an error line carries the request id')
    assert.match(JSON.stringify(logged.err), /secret internal detail/)
  })

  test('retryable error sets Retry-After', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/test/log-unavailable' })

    assert.equal(response.statusCode, 503)
    assert.equal(response.json().error, 'log_unavailable')
    assert.equal(response.headers['retry-after'], '1')
  })

  test('error fields reach the body', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/test/order-not-active' })

    assert.equal(response.statusCode, 409)
    assert.deepEqual(response.json(), {
      error: 'order_not_active',
      message: 'order o-1 is filled',
      status: 'filled',
    })
  })

  test('4xx has no Retry-After', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/orders?limit=0' })

    assert.equal(response.statusCode, 400)
    assert.equal(response.headers['retry-after'], undefined)
  })

  test('over-long path parameter is 414', async () => {
    for (const url of [`/orders/${'a'.repeat(101)}`, `/orders/${'a'.repeat(101)}/trades`, `/book/${'A'.repeat(101)}`]) {
      const response = await guarded.app.inject({ method: 'GET', url })

      assert.equal(response.statusCode, 414, url)
      assert.deepEqual(response.json(), {
        error: 'URI Too Long',
        message: `a path parameter in GET ${url} is longer than 100 characters`,
        statusCode: 414,
      })
      assert.equal(typeof response.headers['x-request-id'], 'string')
    }
    // 100 characters is within the limit, so the request reaches the route's validation.
    const atLimit = await guarded.app.inject({ method: 'GET', url: `/orders/${'a'.repeat(100)}` })
    assert.equal(atLimit.statusCode, 400)
    assert.deepEqual(guarded.ioCalls, [])
  })

  test('414 message truncates the URL', async () => {
    const url = `/book/${'A'.repeat(5000)}`
    const response = await guarded.app.inject({ method: 'GET', url })

    assert.equal(response.statusCode, 414)
    assert.equal(response.json().message, `a path parameter in GET ${url.slice(0, 200)}... is longer than 100 characters`)
  })

  test('malformed percent-encoding is 400', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/orders/%E0%A4%A' })

    assert.equal(response.statusCode, 400)
    assert.deepEqual(response.json(), {
      error: 'invalid_request',
      message: 'the path of GET /orders/%E0%A4%A is not a valid URL: check its percent-encoding',
    })
    assert.equal(typeof response.headers['x-request-id'], 'string')
  })

  test('forbidden docs path is 404', async () => {
    // @fastify/static raises a 403 for a backslash traversal, an empty
    // segment and a NUL byte. inject() collapses a plain "/../", which
    // curl --path-as-is sends unchanged and which gets the same 403.
    for (const url of ['/docs/static/..%5c..%5cetc/passwd', '/docs/static//etc/passwd', '/docs/static/a%00b']) {
      const response = await guarded.app.inject({ method: 'GET', url })

      assert.equal(response.statusCode, 404, url)
      assert.deepEqual(response.json(), { error: 'route_not_found', message: `no route matches GET ${url}` })
      assert.equal(typeof response.headers['x-request-id'], 'string')
    }
  })

  test('plugin 403 becomes 404', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/test/forbidden' })

    assert.equal(response.statusCode, 404)
    assert.deepEqual(response.json(), { error: 'route_not_found', message: 'no route matches GET /test/forbidden' })
  })

  test('health needs no dependency', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/health' })

    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { status: 'ok' })
    assert.deepEqual(guarded.ioCalls, [])
  })

  test('OpenAPI document served', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/docs/json' })
    const document = response.json()

    assert.equal(response.statusCode, 200)
    assert.equal(document.openapi, '3.1.0')
    assert.ok(document.paths['/orders'].post, 'POST /orders documented')
    assert.ok(document.paths['/ordenes'].post, 'POST /ordenes documented')
    assert.ok(document.paths['/orders/{id}'].delete, 'DELETE /orders/{id} documented')
    assert.ok(document.paths['/book/{symbol}'].get, 'GET /book/{symbol} documented')
  })

  test('Swagger UI served', async () => {
    const response = await guarded.app.inject({ method: 'GET', url: '/docs/' })

    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /text\/html/)
  })
})
