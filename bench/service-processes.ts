/**
 * Starts the service CLI as a child process for the benchmark, in any role,
 * optionally under `--cpu-prof`. The `engine` role has no HTTP listener, so
 * it is ready once its worker logs that it is starting.
 */

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { StoreRequestCounts } from '../src/store/request-counts.ts'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const START_TIMEOUT_MS = 60_000

export interface ServiceProcess {
  pid: number
  /** Base URL of the API; undefined for the engine role. */
  url: string | undefined
  /** The last log lines, for failure messages. */
  output(): string
  /** Counts of the store's requests over the process's life, from its `store closed` line; undefined before the stop. */
  storeSent(): StoreRequestCounts | undefined
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<void>
}

export interface ServiceProcessOptions {
  role: 'all' | 'api' | 'engine'
  env: Record<string, string>
  /** Directory for a V8 CPU profile written at exit; no profiling when absent. */
  cpuProfileDir?: string
  /** Niceness to start the process with (`nice -n`, inherited by every thread). */
  nice?: number
}

/** Processes started and not yet stopped, so that an interrupted bench can stop them. */
const running = new Set<ChildProcess>()

/** Sends SIGTERM to every service process still running and waits for each to exit. */
export async function stopServiceProcesses(): Promise<void> {
  await Promise.all([...running].map((child) => terminate(child)))
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const args = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
  const nodeArgs = [...args, CLI, options.role]
  const [command, commandArgs] = options.nice === undefined
    ? [process.execPath, nodeArgs]
    : ['nice', ['-n', String(options.nice), process.execPath, ...nodeArgs]]
  const child: ChildProcess = spawn(command, commandArgs, {
    env: { ...process.env, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  child.once('exit', () => running.delete(child))

  let tail = ''
  let storeSent: StoreRequestCounts | undefined
  const remember = (line: string) => {
    tail = `${tail}${line}\n`.slice(-8000)
  }
  createInterface({ input: child.stderr! }).on('line', remember)
  const lines = createInterface({ input: child.stdout! })
  const readyMessage = options.role === 'engine' ? '"engine worker starting"' : '"API listening"'

  const url = await new Promise<string | undefined>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.role} role not ready within ${START_TIMEOUT_MS} ms:\n${tail}`)),
      START_TIMEOUT_MS,
    )
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${options.role} role exited with ${code} before it was ready:\n${tail}`))
    })
    lines.on('line', (line) => {
      remember(line)
      if (line.includes('"msg":"store closed"')) storeSent = (JSON.parse(line) as { sent?: StoreRequestCounts }).sent
      if (!line.includes(readyMessage)) return
      clearTimeout(timer)
      resolve(options.role === 'engine' ? undefined : (JSON.parse(line) as { url: string }).url)
    })
  })

  return {
    pid: child.pid!,
    url,
    output: () => tail,
    storeSent: () => storeSent,
    stop: () => terminate(child),
  }
}
