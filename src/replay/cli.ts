#!/usr/bin/env node
/**
 * Command line of the LOBSTER replay. Logs go to stderr as pino JSON; the
 * last line on stdout is the JSON summary.
 */

import { parseArgs } from 'node:util'

import { pino } from 'pino'

import { readLobsterDir, resolveLobsterDir } from './lobster-file.ts'
import { buildPlan } from './lobster-plan.ts'
import { ReplayError, replayLobster } from './lobster-replay.ts'
import { ProductClient } from './product-client.ts'

const HELP = `Usage: node src/replay/cli.ts --url URL [options]

Replays LOBSTER order flow (new orders, cancellations, deletions and
executions) through the order API, one message at a time, waiting after each
until the engine has applied it, and compares the product's book with the
LOBSTER book row after each message. Prints a JSON summary as the last line.

The product must know the symbol with whole-cent ticks and one-share lots,
e.g. INSTRUMENTS='{"AAPL":{"tickSize":"0.01","lotSize":"1"}}', and start
with an empty book for it.

Options:
  --url URL                 base URL of the order API (required), e.g. http://127.0.0.1:8000
  --dir DIR                 folder with one *_message_<N>.csv and its *_orderbook_<N>.csv
                            (default: LOBSTER_DIR, else shared/data/lobster beside the repository)
  --limit N                 replay only the first N messages (default: all)
  --symbol SYMBOL           symbol to trade under (default: AAPL)
  --depth N                 book levels per side to read and compare (default: the file's depth)
  --apply-timeout-ms MS     bound on the wait for the engine to apply one command (default: 10000)
  --request-timeout-ms MS   bound on one HTTP request (default: 5000)
  --no-barrier              skip the probe order after each message; faster, but a book read
                            may miss levels the engine has not finished writing
  --log-level LEVEL         pino level for stderr logs (default: info)
  -h, --help                print this help
`

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`--${name} must be a positive integer (got ${JSON.stringify(text)})`)
  }
  return Number(text)
}

class UsageError extends Error {}

async function main(): Promise<number> {
  let values
  try {
    values = parseArgs({
      options: {
        url: { type: 'string' },
        dir: { type: 'string' },
        limit: { type: 'string' },
        symbol: { type: 'string', default: 'AAPL' },
        depth: { type: 'string' },
        'apply-timeout-ms': { type: 'string' },
        'request-timeout-ms': { type: 'string' },
        'no-barrier': { type: 'boolean', default: false },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`)
    return 2
  }

  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }

  let limit: number | undefined
  let applyTimeoutMs: number
  let requestTimeoutMs: number
  let depthOption: number | undefined
  try {
    if (values.url === undefined) throw new UsageError('--url is required, e.g. --url http://127.0.0.1:8000')
    limit = values.limit === undefined ? undefined : positiveInteger('limit', values.limit, 0)
    depthOption = values.depth === undefined ? undefined : positiveInteger('depth', values.depth, 0)
    applyTimeoutMs = positiveInteger('apply-timeout-ms', values['apply-timeout-ms'], 10_000)
    requestTimeoutMs = positiveInteger('request-timeout-ms', values['request-timeout-ms'], 5_000)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`${error.message}\n\n${HELP}`)
    return 2
  }

  const logger = pino({ level: values['log-level'], base: { service: 'lobster-replay' } }, pino.destination(2))
  const dir = values.dir ?? resolveLobsterDir()
  let data
  try {
    data = readLobsterDir(dir, limit)
  } catch (error) {
    process.stderr.write(`cannot read LOBSTER files: ${(error as Error).message}\n`)
    return 2
  }
  if (data.messages.length === 0) {
    process.stderr.write(`no messages in ${data.messageFile}\n`)
    return 2
  }
  logger.info({ dir, messageFile: data.messageFile, messages: data.messages.length }, 'LOBSTER files read')

  const summary = await replayLobster({
    client: new ProductClient(values.url, requestTimeoutMs),
    symbol: values.symbol,
    plan: buildPlan(data.messages, data.books[0]),
    books: data.books,
    depth: depthOption ?? data.depth,
    applyTimeoutMs,
    barrier: !values['no-barrier'],
    logger,
  })

  process.stdout.write(`${JSON.stringify(summary)}\n`)
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    // A ReplayError already names the row, the order and the cause; anything else gets its stack.
    let text = String(error)
    if (error instanceof ReplayError) text = error.message
    else if (error instanceof Error) text = error.stack ?? error.message
    process.stderr.write(`LOBSTER replay failed: ${text}\n`)
    process.exitCode = 1
  },
)
