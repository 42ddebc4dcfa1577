import { hostname } from 'node:os'
import { pino, type Logger } from 'pino'

/**
 * Creates the process's root logger; components take children of it. Every
 * line carries the host name and pid, which distinguish the logs of several
 * engines or API processes on one topic.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'order-engine', hostname: hostname(), pid: process.pid } })
}
