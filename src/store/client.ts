/**
 * The DynamoDB client shared by the repositories, with bounded timeouts so
 * that every call fails within a known time when the server is down.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { Logger } from 'pino'
import type { DynamoHttpClient } from './dynamo-http.ts'
import { countRequest, type StoreRequestCounts } from './request-counts.ts'
import type { RetryPolicy } from './retry.ts'

export interface ClientOptions {
  /** AWS region; the SDK's default chain (AWS_REGION, shared config) when absent. */
  region?: string
  /** Endpoint of dynalite or DynamoDB Local; the regional AWS endpoint when absent. */
  endpoint?: string
  /** Upper bound on one request including the connection, in ms. */
  requestTimeoutMs: number
  env?: Record<string, string | undefined>
  /** Counts that every request sent is added to; nothing is counted when absent. */
  counts?: StoreRequestCounts
}

/** Client, logger, timeout and retry policies shared by the repositories. */
export interface StoreContext {
  /** The lean client of the persist path's writes, which carry marshalled items. */
  http: DynamoHttpClient
  /** The document client, for reads and the writes outside the persist path. */
  doc: DynamoDBDocumentClient
  logger: Logger
  requestTimeoutMs: number
  /** Policy for the engine's writes: persist(), snapshots and dead letters. */
  persistRetry: RetryPolicy
  /** Policy for the API's reads and writes, which a client waits for. */
  requestRetry: RetryPolicy
}

// Any of these means the caller configured credentials, which then come from
// the SDK's default chain even for a local endpoint.
const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
]

/**
 * Creates the document client and the client it wraps. Decimals are strings
 * in every item, and numbers (versions, ticks, offsets) are integers in the
 * safe range, so numbers unmarshal to JS numbers. util-dynamodb throws for a
 * number that is not exactly representable.
 *
 * With an endpoint and no credential variable set, the client signs with
 * fixed dummy keys, because dynalite accepts any and the default chain would
 * otherwise end at the EC2 instance metadata service. A default profile in
 * ~/.aws is then not read, so set AWS_PROFILE to use it.
 */
export function createDocumentClient(options: ClientOptions): {
  client: DynamoDBClient
  doc: DynamoDBDocumentClient
} {
  const env = options.env ?? process.env
  const configured = CREDENTIAL_VARIABLES.some((name) => (env[name] ?? '') !== '')
  const dummyCredentials = options.endpoint !== undefined && !configured

  const client = new DynamoDBClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: dummyCredentials ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
    // Retries happen in retry.ts, where they are logged with the ids involved.
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: options.requestTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    },
  })

  const counts = options.counts
  if (counts !== undefined) {
    // The document client's commands run on this stack too. The input is
    // counted before marshalling, which leaves the item counts unchanged.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        countRequest(counts, (context.commandName ?? 'unknown').replace(/Command$/, ''), args.input)
        return next(args)
      },
      { step: 'initialize', name: 'countRequests' },
    )
  }

  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: false },
  })
  // doc.destroy() leaves the sockets open, but client.destroy() closes them.
  return { client, doc }
}

// The HTTP handler's requestTimeout normally fires first, with the clearer
// error. The abort also bounds the steps outside it, such as signing.
const ABORT_MARGIN_MS = 250

/** Per-request options: an abort that bounds the whole call. */
export function requestOptions(context: StoreContext): { abortSignal: AbortSignal } {
  return { abortSignal: AbortSignal.timeout(context.requestTimeoutMs + ABORT_MARGIN_MS) }
}

/** True for the error DynamoDB returns when a ConditionExpression is false. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException'
}

/**
 * The condition of every versioned write: the item is absent or its stored
 * version is at most the new one. dynalite evaluates a comparison with a
 * missing attribute as false, so `NOT #version > :version` passes for an
 * absent item too, and every stored item has a version. dynalite parses this form faster than
 * `attribute_not_exists(key) OR #version <= :version`: bench/dynalite-put-cost.ts
 * measured 0.123 against 0.142-0.147 ms of its CPU per conditional PutItem.
 *
 * NOTE: run against dynalite only. That DynamoDB also evaluates `>` with a
 * missing attribute as false is taken from dynalite's emulation, not seen.
 */
export const VERSION_GUARD = 'NOT #version > :version'

/** Returns the condition of a versioned write, its values marshalled for DynamoHttpClient. */
export function versionGuard(version: number) {
  return {
    ConditionExpression: VERSION_GUARD,
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':version': { N: String(version) } },
  }
}
