import assert from 'node:assert/strict'
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
// The reference signs what the server received, so a header changed after signing shows up.
import { SignatureV4 } from '@smithy/signature-v4'
import { DynamoHttpClient, DynamoHttpError } from '../../../src/store/dynamo-http.ts'

type SourceData = string | ArrayBuffer | ArrayBufferView

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/**
 * SHA-256, or HMAC-SHA256 with a secret, from node:crypto in the shape
 * SignatureV4 expects, so that the reference signature does not share the
 * client's hash function.
 */
class Sha256 {
  #hash: Hash | Hmac

  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret))
  }

  update(data: SourceData): void {
    this.#hash.update(bytes(data))
  }

  async digest(): Promise<Uint8Array> {
    return this.#hash.digest()
  }
}

interface Received {
  headers: IncomingHttpHeaders
  body: string
}

let server: Server
let endpoint: string
let received: Received[] = []
let reply: { status: number, body: string } = { status: 200, body: '{}' }

before(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') })
      response.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.0' })
      response.end(reply.body)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

after(() => {
  server.closeAllConnections()
  server.close()
})

function clientWith(sessionToken?: string): { sdk: DynamoDBClient, http: DynamoHttpClient } {
  const sdk = new DynamoDBClient({
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/example', sessionToken },
  })
  return { sdk, http: new DynamoHttpClient({ client: sdk, endpoint, requestTimeoutMs: 2000, maxSockets: 4 }) }
}

async function referenceAuthorization(request: Received, sessionToken?: string): Promise<string> {
  const signer = new SignatureV4({
    service: 'dynamodb',
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/example', sessionToken },
    sha256: Sha256,
    // DynamoDB does not need the payload hash header, and the client under test omits it.
    applyChecksum: false,
  })
  const amzDate = String(request.headers['x-amz-date'])
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T` +
      `${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  )
  const headers: Record<string, string> = {
    'content-type': String(request.headers['content-type']),
    host: String(request.headers.host),
    'x-amz-target': String(request.headers['x-amz-target']),
  }
  if (sessionToken !== undefined) headers['x-amz-security-token'] = sessionToken

  const signed = await signer.sign(
    { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: '/', headers, body: request.body },
    { signingDate },
  )
  return String(signed.headers.authorization)
}

test('signature matches the SDK signer', async () => {
  received = []
  reply = { status: 200, body: '{}' }
  const { sdk, http } = clientWith()
  const input = { TableName: 'orders', Item: { id: { S: 'o-1' }, version: { N: '7' } } }

  try {
    const output = await http.send('PutItem', input)
    assert.deepEqual(output, {})
  } finally {
    http.destroy()
    sdk.destroy()
  }

  assert.equal(received.length, 1)
  const [request] = received
  assert.equal(request.headers['x-amz-target'], 'DynamoDB_20120810.PutItem')
  assert.deepEqual(JSON.parse(request.body), input)
  assert.equal(request.headers.authorization, await referenceAuthorization(request))
})

test('signature with session token matches', async () => {
  received = []
  reply = { status: 200, body: '{"UnprocessedItems":{}}' }
  const { sdk, http } = clientWith('token/with+chars')

  try {
    const output = await http.send('BatchWriteItem', { RequestItems: {} })
    assert.deepEqual(output, { UnprocessedItems: {} })
  } finally {
    http.destroy()
    sdk.destroy()
  }

  const [request] = received
  assert.equal(request.headers['x-amz-security-token'], 'token/with+chars')
  assert.equal(request.headers.authorization, await referenceAuthorization(request, 'token/with+chars'))
})

test('error response becomes named error', async () => {
  reply = {
    status: 400,
    body: JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
      message: 'The conditional request failed',
    }),
  }
  const { sdk, http } = clientWith()

  try {
    await assert.rejects(http.send('PutItem', { TableName: 'orders' }), (error: unknown) => {
      assert.ok(error instanceof DynamoHttpError)
      assert.equal(error.name, 'ConditionalCheckFailedException')
      assert.equal(error.$metadata.httpStatusCode, 400)
      assert.match(error.message, /conditional request failed/)
      return true
    })
  } finally {
    http.destroy()
    sdk.destroy()
  }
})

test('non-JSON 5xx keeps its status', async () => {
  reply = { status: 502, body: 'bad gateway' }
  const { sdk, http } = clientWith()

  try {
    await assert.rejects(http.send('DeleteItem', { TableName: 'orders' }), (error: unknown) => {
      assert.ok(error instanceof DynamoHttpError)
      assert.equal(error.name, 'HttpStatus502')
      assert.equal(error.$metadata.httpStatusCode, 502)
      return true
    })
  } finally {
    http.destroy()
    sdk.destroy()
  }
})

test('refused connection keeps its code', async () => {
  const sdk = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
  // Port 1 on loopback has no listener, so the connection is refused.
  const http = new DynamoHttpClient({ client: sdk, endpoint: 'http://127.0.0.1:1', requestTimeoutMs: 2000, maxSockets: 1 })

  try {
    await assert.rejects(http.send('PutItem', {}), { code: 'ECONNREFUSED' })
  } finally {
    http.destroy()
    sdk.destroy()
  }
})
