/**
 * Runs a benchmark script again in a fresh node process, so that one book's
 * measurement shares no heap or compiled code with another's.
 */

import { spawn, type ChildProcess } from 'node:child_process'

let running: ChildProcess | null = null

// A stop of the parent also stops the child it waits for, so that no
// orphaned measurement keeps using a core.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    running?.kill(signal)
    process.exit(signal === 'SIGINT' ? 130 : 143)
  })
}

/**
 * Runs `script` with `args` under the parent's node flags plus
 * --expose-gc, and resolves the last line it printed, parsed as JSON. Its
 * stderr goes to the parent's. On a failure of the child, prints what
 * failed and how to rerun it, then exits with code 1.
 */
export async function runChildForJson<T>(script: string, args: string[], what: string): Promise<T> {
  const nodeFlags = [...new Set([...process.execArgv, '--expose-gc'])]
  const command = [...nodeFlags, script, ...args]
  const child = spawn(process.execPath, command, { stdio: ['ignore', 'pipe', 'inherit'] })
  running = child

  let output = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    output += chunk
  })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]))
    child.on('error', (error) => {
      process.stderr.write(`failed to start node for ${what}: ${error.message}\n`)
      resolve([null, null])
    })
  })
  running = null

  const lines = output.trim().split('\n')
  try {
    if (code !== 0) throw new Error(`exit code ${code}, signal ${signal}`)
    return JSON.parse(lines[lines.length - 1]) as T
  } catch (error) {
    process.stderr.write(
      `the process measuring ${what} failed (${(error as Error).message}); ` +
        `run it alone with: node ${command.join(' ')}\n`,
    )
    process.exit(1)
  }
}
