#!/usr/bin/env node
/**
 * One entry point for every role:
 *   order-engine all      API and engine in one process (the default)
 *   order-engine api      HTTP API only
 *   order-engine engine   engine worker only
 */

import { ConfigError, loadConfig, loadDotEnv } from './config.ts'
import { InstrumentConfigError } from './core/instrument.ts'
import { createLogger } from './logger.ts'
import { startService, type Role, type Service } from './service.ts'

const ROLES: readonly Role[] = ['all', 'api', 'engine']
/** Bound on a graceful stop; past it the process exits anyway. */
const STOP_TIMEOUT_MS = 15_000

async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as Role
  if (!ROLES.includes(role)) {
    process.stderr.write(`usage: order-engine [${ROLES.join('|')}]\nunknown role ${JSON.stringify(process.argv[2])}\n`)
    process.exit(2)
  }

  loadDotEnv()
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(2)
  }

  const logger = createLogger(config.logLevel)
  let service: Service | undefined
  let stopping = false
  let exitCode = 0
  /** A stop requested while the service was starting, carried out once it has started. */
  let stopAfterStart: string | undefined

  const stop = (reason: string) => {
    if (service === undefined) {
      if (stopAfterStart !== undefined) return
      stopAfterStart = reason
      logger.info({ reason }, 'stop requested during the start; stopping once started')
      // A start that hangs, on a broker that never responds, must not keep the process alive.
      setTimeout(() => {
        logger.error({ timeoutMs: STOP_TIMEOUT_MS }, 'the start did not finish in time after a stop request; exiting')
        process.exit(1)
      }, STOP_TIMEOUT_MS).unref()
      return
    }
    if (stopping) return
    stopping = true
    logger.info({ reason }, 'stopping')

    const timer = setTimeout(() => {
      logger.error({ timeoutMs: STOP_TIMEOUT_MS }, 'graceful stop timed out; exiting')
      process.exit(1)
    }, STOP_TIMEOUT_MS)
    timer.unref()

    service.stop().then(
      () => {
        logger.info({ exitCode }, 'stopped')
        process.exit(exitCode)
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed')
        process.exit(1)
      },
    )
  }

  // A component that cannot go on stops the whole process, so that a
  // supervisor restarts or alerts on it instead of trusting a process that
  // only looks healthy.
  const onFatal = (error: Error) => {
    process.stderr.write(`order-engine ${role}: stopping: ${error.message}\n`)
    exitCode = 2
    stop('fatal error')
  }

  // Registered before the start, so that a signal during it stops the
  // service gracefully once it is up instead of killing the process.
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))

  try {
    service = await startService(role, config, logger, { onFatal })
  } catch (error) {
    if (error instanceof ConfigError || error instanceof InstrumentConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(2)
    }
    logger.fatal({ err: error, role }, 'start failed')
    process.stderr.write(`order-engine ${role}: start failed: ${(error as Error).message}\n`)
    // A fatal error reported during the start keeps its exit code.
    process.exit(exitCode !== 0 ? exitCode : 1)
  }

  if (exitCode !== 0) stop('fatal error during start')
  else if (stopAfterStart !== undefined) stop(stopAfterStart)
}

await main()
