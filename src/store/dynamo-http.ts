/**
 * A lean DynamoDB client for the engine's writes: each request is one JSON
 * body, signed with Signature Version 4 and posted over a keep-alive agent.
 * Region, credentials (with their refresh) and the endpoint rules still come
 * from the SDK client's configuration. Measured on 2 shared cores against
 * dynalite, the SDK's middleware stack used about 0.6 ms of client CPU per
 * conditional PutItem and this client about 0.1 ms. In the drain of
 * bench/service.ts the engine's CPU per command fell from 1.07 ms to 0.39 ms.
 */

import { createHash, createHmac } from 'node:crypto'
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'

export type DynamoOperation = 'PutItem' | 'DeleteItem' | 'BatchWriteItem'

export interface DynamoHttpOptions {
  /** The SDK client whose region, credentials and endpoint rules apply. */
  client: DynamoDBClient
  /** Endpoint of dynalite or DynamoDB Local. Without it, the SDK's regional endpoint applies. */
  endpoint?: string
  /** Bound on one request, from the first byte sent to the last received, in ms. */
  requestTimeoutMs: number
  /** Maximum keep-alive connections per endpoint. */
  maxSockets: number
}

/** An error response of DynamoDB, named like the SDK's exceptions. */
export class DynamoHttpError extends Error {
  readonly $metadata: { httpStatusCode: number }

  constructor(name: string, message: string, httpStatusCode: number) {
    super(message)
    this.name = name
    this.$metadata = { httpStatusCode }
  }
}

const SERVICE = 'dynamodb'
const CONTENT_TYPE = 'application/x-amz-json-1.0'
const TARGET_PREFIX = 'DynamoDB_20120810.'

interface Endpoint {
  url: URL
  region: string
}

interface SigningKey {
  scope: string
  secretAccessKey: string
  key: Buffer
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex')
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

/** `20261204T184210Z`: the ISO 8601 basic format that SigV4 uses. */
function amzDateOf(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

export class DynamoHttpClient {
  #client: DynamoDBClient
  #endpointOption: string | undefined
  #endpoint: Promise<Endpoint> | undefined
  #requestTimeoutMs: number
  #httpAgent: HttpAgent
  #httpsAgent: HttpsAgent
  #signingKey: SigningKey | undefined

  constructor(options: DynamoHttpOptions) {
    this.#client = options.client
    this.#endpointOption = options.endpoint
    this.#requestTimeoutMs = options.requestTimeoutMs
    this.#httpAgent = new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets })
    this.#httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets })
  }

  /**
   * Sends one request and returns the parsed response body. Rejects with a
   * DynamoHttpError for an error response, with a TimeoutError after
   * requestTimeoutMs, with an AbortError when `signal` aborts, and with the
   * socket's error (its `code` set, e.g. ECONNREFUSED) when the connection fails.
   */
  async send<T = Record<string, unknown>>(operation: DynamoOperation, input: object, signal?: AbortSignal): Promise<T> {
    this.#endpoint ??= this.#resolveEndpoint()
    const endpoint = await this.#endpoint
    const credentials = await this.#client.config.credentials()
    const body = JSON.stringify(input)
    const amzDate = amzDateOf(new Date())

    const headers: Record<string, string> = {
      'content-type': CONTENT_TYPE,
      host: endpoint.url.host,
      'x-amz-date': amzDate,
      'x-amz-target': `${TARGET_PREFIX}${operation}`,
    }
    if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken

    const scope = `${amzDate.slice(0, 8)}/${endpoint.region}/${SERVICE}/aws4_request`
    const signedNames = Object.keys(headers).sort()
    const canonicalRequest = [
      'POST',
      endpoint.url.pathname,
      '',
      ...signedNames.map((name) => `${name}:${headers[name].trim()}`),
      '',
      signedNames.join(';'),
      sha256Hex(body),
    ].join('\n')
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n')
    const signature = createHmac('sha256', this.#keyFor(scope, credentials.secretAccessKey))
      .update(stringToSign)
      .digest('hex')

    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedNames.join(';')}, Signature=${signature}`
    headers['content-length'] = String(Buffer.byteLength(body))

    const response = await this.#post(endpoint.url, headers, body, signal)
    return parseResponse<T>(response.statusCode, response.body, operation)
  }

  /** Closes the keep-alive connections. */
  destroy(): void {
    this.#httpAgent.destroy()
    this.#httpsAgent.destroy()
  }

  async #resolveEndpoint(): Promise<Endpoint> {
    const region = await this.#client.config.region()
    if (this.#endpointOption !== undefined) return { url: new URL(this.#endpointOption), region }

    const config = this.#client.config
    const resolved = config.endpointProvider({
      Region: region,
      UseFIPS: await config.useFipsEndpoint(),
      UseDualStack: await config.useDualstackEndpoint(),
    })
    return { url: new URL(resolved.url.href), region }
  }

  /** Returns the SigV4 signing key of the scope, derived once per day, region and secret. */
  #keyFor(scope: string, secretAccessKey: string): Buffer {
    const cached = this.#signingKey
    if (cached !== undefined && cached.scope === scope && cached.secretAccessKey === secretAccessKey) return cached.key

    const [date, region, service] = scope.split('/')
    const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request')
    this.#signingKey = { scope, secretAccessKey, key }
    return key
  }

  #post(
    url: URL,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal | undefined,
  ): Promise<{ statusCode: number, body: string }> {
    const https = url.protocol === 'https:'
    const send = https ? httpsRequest : httpRequest
    const timeoutMs = this.#requestTimeoutMs

    return new Promise((resolve, reject) => {
      const request = send(
        {
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port,
          method: 'POST',
          path: url.pathname,
          headers,
          agent: https ? this.#httpsAgent : this.#httpAgent,
          signal,
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('error', reject)
          response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        },
      )
      request.setTimeout(timeoutMs, () => {
        const error = new Error(`DynamoDB request to ${url.host} timed out after ${timeoutMs} ms`)
        error.name = 'TimeoutError'
        request.destroy(error)
      })
      request.on('error', reject)
      request.end(body)
    })
  }
}

/**
 * Returns the body of a 200 response. Otherwise throws a DynamoHttpError
 * named by the error type, such as ConditionalCheckFailedException.
 */
function parseResponse<T>(statusCode: number, body: string, operation: DynamoOperation): T {
  let parsed: { __type?: unknown, message?: unknown, Message?: unknown } | undefined
  try {
    parsed = body === '' ? {} : JSON.parse(body)
  } catch {
    parsed = undefined
  }

  if (statusCode === 200 && parsed !== undefined) return parsed as T

  const type = typeof parsed?.__type === 'string' ? parsed.__type : ''
  const name = type === '' ? `HttpStatus${statusCode}` : type.slice(type.lastIndexOf('#') + 1)
  const message = parsed?.message ?? parsed?.Message ?? body.slice(0, 200)
  throw new DynamoHttpError(name, `${operation} failed with ${statusCode} ${name}: ${String(message)}`, statusCode)
}
