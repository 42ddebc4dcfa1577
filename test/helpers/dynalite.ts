/**
 * Starts dynalite (scripts/dynalite.ts) as a child process for tests, so that
 * it keeps its data while the process under test is killed and restarted.
 * When AWS_ENDPOINT_URL is set, tests use that endpoint and nothing starts.
 */

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('../../scripts/dynalite.ts', import.meta.url))
const START_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 10_000

export interface DynaliteProcessOptions {
  /** Inclusive port range to try in order; without it the OS picks a free port. */
  ports?: [number, number]
  /** LevelDB directory; in memory when absent. */
  path?: string
  /** Time a new table stays in CREATING, in ms. */
  createTableMs?: number
  /** Niceness to start the process with (`nice -n`), so that it yields its cores to the others. */
  nice?: number
}

export interface DynaliteProcess {
  endpoint: string
  /** True when AWS_ENDPOINT_URL named a server that this helper did not start. */
  external: boolean
  /** Sends SIGTERM and waits for the exit; a no-op for an external endpoint. */
  stop(): Promise<void>
  /** Sends SIGKILL and waits for the exit, like a crash. */
  kill(): Promise<void>
}

export async function startDynaliteProcess(options: DynaliteProcessOptions = {}): Promise<DynaliteProcess> {
  const external = process.env.AWS_ENDPOINT_URL
  if (external !== undefined && external !== '') {
    return { endpoint: external, external: true, stop: async () => {}, kill: async () => {} }
  }

  const [first, last] = options.ports ?? [0, 0]
  let lastError: Error | undefined

  for (let port = first; port <= last; port++) {
    try {
      return await spawnOnPort(port, options)
    } catch (error) {
      lastError = error as Error
      if (!lastError.message.includes('EADDRINUSE')) throw lastError
    }
  }
  throw new Error(`no free port for dynalite in ${first}-${last}: ${lastError?.message}`)
}

async function spawnOnPort(port: number, options: DynaliteProcessOptions): Promise<DynaliteProcess> {
  const args = [SCRIPT, '--port', String(port), '--host', '127.0.0.1']
  if (options.path !== undefined) args.push('--path', options.path)
  if (options.createTableMs !== undefined) args.push('--create-table-ms', String(options.createTableMs))

  // nice execs node in place, so the child's pid stays node's, and every
  // thread node starts inherits the niceness.
  const [command, commandArgs] = options.nice === undefined
    ? [process.execPath, args]
    : ['nice', ['-n', String(options.nice), process.execPath, ...args]]
  const child = spawn(command, commandArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: process.env.DYNALITE_LOG_LEVEL ?? 'warn' },
  })

  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000)
  })

  const endpoint = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`dynalite did not report listening within ${START_TIMEOUT_MS} ms: ${stderr}`))
    }, START_TIMEOUT_MS)

    lines.once('line', (line) => {
      clearTimeout(timer)
      try {
        resolve((JSON.parse(line) as { endpoint: string }).endpoint)
      } catch {
        reject(new Error(`unexpected first line from dynalite: ${line}`))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`dynalite exited with code ${code} before listening: ${stderr}`))
    })
  })

  return {
    endpoint,
    external: false,
    stop: () => terminate(child, 'SIGTERM'),
    kill: () => terminate(child, 'SIGKILL'),
  }
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return

  const exited = once(child, 'exit')
  child.kill(signal)

  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  try {
    await exited
  } finally {
    clearTimeout(timer)
  }
}
