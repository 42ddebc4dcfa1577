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
 * stderr goes to the parent's. When the child fails, prints which
 * measurement (`label`) failed and how to rerun it, then exits with code 1.
 */
export async function runChildForJson<T>(script: string, args: string[], label: string): Promise<T> {
  const nodeFlags = [...new Set([...process.execArgv, '--expose-gc'])]
  const command = [...nodeFlags, script, ...args]
  const child = spawn(process.execPath, command, { stdio: ['ignore', 'pipe', 'inherit'] })
  running = child

  let output = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    output += chunk
  })
  const failure = await new Promise<string | null>((resolve) => {
    child.on('close', (code, signal) => resolve(code === 0 ? null : `exit code ${code}, signal ${signal}`))
    child.on('error', (error) => resolve(`failed to start: ${error.message}`))
  })
  running = null

  const failWith = (reason: string): never => {
    const rerun = `node ${command.join(' ')}`
    process.stderr.write(`the process measuring ${label} failed (${reason}); run it alone with: ${rerun}\n`)
    process.exit(1)
  }
  if (failure !== null) failWith(failure)

  const lines = output.trim().split('\n')
  try {
    return JSON.parse(lines[lines.length - 1]) as T
  } catch (error) {
    return failWith(`invalid JSON on its last line: ${(error as Error).message}`)
  }
}
