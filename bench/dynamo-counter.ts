/**
 * An HTTP proxy in front of a DynamoDB endpoint (dynalite) that counts the
 * requests passing through it, by operation, and the items that write
 * operations carry. The service points AWS_ENDPOINT_URL at the proxy, so the
 * counts are what the store really sent.
 */

import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'])

export interface DynamoCounts {
  /** Requests by operation name, e.g. PutItem. */
  requests: Record<string, number>
  writeRequests: number
  /** Items written or deleted: 1 per single-item write, the item count of a batch or transaction. */
  writeItems: number
}

export interface DynamoCounter {
  endpoint: string
  counts(): DynamoCounts
  reset(): void
  close(): Promise<void>
}

/** Starts the proxy on 127.0.0.1:port, forwarding to `target` (http://host:port). */
export async function startDynamoCounter(port: number, target: string): Promise<DynamoCounter> {
  const upstream = new URL(target)
  let counts = emptyCounts()

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks)
      count(counts, String(incoming.headers['x-amz-target'] ?? ''), body)

      const proxied = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers)
          response.pipe(outgoing)
        },
      )
      proxied.on('error', (error) => {
        outgoing.writeHead(502, { 'content-type': 'text/plain' })
        outgoing.end(`proxy to ${target} failed: ${error.message}`)
      })
      proxied.end(body)
    })
  }

  const server: Server = createServer({ keepAliveTimeout: 60_000 }, forward)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    counts: () => structuredClone(counts),
    reset: () => {
      counts = emptyCounts()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function emptyCounts(): DynamoCounts {
  return { requests: {}, writeRequests: 0, writeItems: 0 }
}

/** Adds one request, named by its X-Amz-Target header (DynamoDB_20120810.PutItem). */
function count(counts: DynamoCounts, target: string, body: Buffer): void {
  const operation = target.slice(target.indexOf('.') + 1) || 'unknown'
  counts.requests[operation] = (counts.requests[operation] ?? 0) + 1
  if (!WRITE_OPERATIONS.has(operation)) return

  counts.writeRequests++
  if (operation === 'BatchWriteItem') {
    const parsed = JSON.parse(body.toString('utf8')) as { RequestItems?: Record<string, unknown[]> }
    for (const items of Object.values(parsed.RequestItems ?? {})) counts.writeItems += items.length
  } else if (operation === 'TransactWriteItems') {
    const parsed = JSON.parse(body.toString('utf8')) as { TransactItems?: unknown[] }
    counts.writeItems += parsed.TransactItems?.length ?? 0
  } else {
    counts.writeItems++
  }
}
