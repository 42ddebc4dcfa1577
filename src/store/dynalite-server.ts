/**
 * dynalite (a DynamoDB implementation on LevelDB) running inside this
 * process, for the embedded mode and for tests.
 */

import { mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import dynalite from 'dynalite'
import { Level } from 'level'
import type { Logger } from 'pino'

export interface DynaliteOptions {
  host: string
  /** 0 picks a free port. */
  port: number
  /** LevelDB directory, created when absent; without it the data lives in memory. */
  path?: string
  /** Time a new table stays in CREATING, in ms; dynalite's default is 500. */
  createTableMs?: number
  logger: Logger
}

export interface DynaliteServer {
  /** `http://host:port` with the port actually bound. */
  endpoint: string
  port: number
  /** Stops accepting requests, waits for the ones in flight and closes the database. */
  close(): Promise<void>
}

export async function startDynalite(options: DynaliteOptions): Promise<DynaliteServer> {
  const { host, port, path, logger } = options

  if (path !== undefined) {
    await mkdir(path, { recursive: true })
    await checkNotLocked(path)
  }

  const server = dynalite({ path, createTableMs: options.createTableMs })

  // NOTE: when listen fails (e.g. EADDRINUSE), dynalite keeps its LevelDB
  // open, so the same path cannot be reopened in this process.
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })

  const boundPort = (server.address() as AddressInfo).port
  const endpoint = `http://${host}:${boundPort}`
  logger.info({ endpoint, path: path ?? null }, 'dynalite started')

  let closing: Promise<void> | undefined

  const close = () => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error) => {
        if (error) {
          logger.error({ err: error, endpoint }, 'dynalite failed to close')
          reject(error)
          return
        }
        logger.info({ endpoint }, 'dynalite stopped')
        resolve()
      })
      // Idle keep-alive sockets of open clients would hold close() until they
      // time out. Closing them loses nothing, because no request is in flight.
      server.closeIdleConnections()
    })
    return closing
  }

  return { endpoint, port: boundPort, close }
}

/**
 * Opens and closes the LevelDB directory once, because dynalite reports a
 * directory locked by another process only later, as "Database is closed".
 */
async function checkNotLocked(path: string): Promise<void> {
  const db = new Level(path)
  try {
    await db.open()
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? ''
    if (cause.includes('lock')) {
      throw new Error(
        `the data directory ${path} is in use by another process; stop that process or set DATA_DIR to another directory`,
        { cause: error },
      )
    }
    throw error
  }
  await db.close()
}
