/** Command-line helpers shared by the benchmark scripts. */

import { parseArgs, type ParseArgsConfig } from 'node:util'

/**
 * Parses the command line with node:util parseArgs, strict. An unknown
 * option or a missing or ambiguous value exits with code 2 and parseArgs'
 * message instead of a stack trace.
 */
export function parseOptions<T extends ParseArgsConfig['options']>(options: T) {
  try {
    return parseArgs({ options, strict: true, allowPositionals: false })
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    process.exit(2)
  }
}

/** Returns `text` as a positive safe integer, or exits with code 2 naming the option `--name`. */
export function positiveInteger(name: string, text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value <= 0) {
    process.stderr.write(`--${name} must be a positive integer, got ${JSON.stringify(text)}\n`)
    process.exit(2)
  }
  return value
}
