import { pino, type Logger } from 'pino'

/** Creates the process's root logger; components take children of it. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'order-engine' } })
}
