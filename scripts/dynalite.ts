/**
 * Runs dynalite as its own process, so that it outlives an engine that is
 * killed in a test. Prints one JSON line on stdout once listening, for
 * example {"event":"listening","endpoint":"http://127.0.0.1:18000","port":18000},
 * and logs to stderr. Exits with 0 after SIGTERM or SIGINT.
 *
 *   node scripts/dynalite.ts --port 18000 [--host 127.0.0.1] [--path DIR]
 */

import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { startDynalite } from '../src/store/dynalite-server.ts'

const HELP = `Usage: node scripts/dynalite.ts [options]

  --port N              TCP port to listen on; 0 picks a free one (default 0)
  --host ADDRESS        address to bind (default 127.0.0.1)
  --path DIR            LevelDB directory; in memory when absent
  --create-table-ms N   time a new table stays in CREATING, in ms (default 500)
  --help                print this text`

function parsePort(name: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new Error(`${name} must be an integer from 0 to 65535 (got ${JSON.stringify(raw)})`)
  }
  return Number(raw)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      path: { type: 'string' },
      'create-table-ms': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })

  if (values.help) {
    process.stdout.write(`${HELP}\n`)
    return
  }

  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'dynalite' } }, pino.destination(2))
  const createTableMs = values['create-table-ms']

  const server = await startDynalite({
    host: values.host,
    port: parsePort('--port', values.port),
    path: values.path,
    createTableMs: createTableMs === undefined ? undefined : parsePort('--create-table-ms', createTableMs),
    logger,
  })

  const listening = { event: 'listening', endpoint: server.endpoint, port: server.port }
  process.stdout.write(`${JSON.stringify(listening)}\n`)

  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping dynalite')
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'dynalite did not close cleanly')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`dynalite failed to start: ${(error as Error).message}\n`)
  process.exit(1)
})
