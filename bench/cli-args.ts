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

/**
 * Returns `text`, decimal digits only, as a positive safe integer, or exits
 * with code 2 naming the option `--name`. Forms such as 1e5 or 0x10 are
 * rejected, so that a typo never becomes a different count.
 */
export function positiveInteger(name: string, text: string): number {
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value <= 0) {
    process.stderr.write(`--${name} must be a positive integer, got ${JSON.stringify(text)}\n`)
    process.exit(2)
  }
  return value
}
