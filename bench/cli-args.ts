/** Command-line helpers shared by the benchmark scripts. */

/** Returns `text` as a positive safe integer, or exits with code 2 naming the option `--name`. */
export function positiveInteger(name: string, text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value <= 0) {
    process.stderr.write(`--${name} must be a positive integer, got ${JSON.stringify(text)}\n`)
    process.exit(2)
  }
  return value
}
