/** Runs `src/cli.ts` as a child process, the way a user starts the service. */

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))
const START_TIMEOUT_MS = 30_000

export interface CliProcess {
  url: string
  child: ChildProcess
  /** The last log lines, for failure messages. */
  output(): string
  /** Sends the signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Starts the CLI with `env` added to this process's environment and waits until the API listens. */
export async function startCli(role: string, env: Record<string, string>): Promise<CliProcess> {
  const child = spawn(process.execPath, [CLI, role], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })

  let tail = ''
  const remember = (line: string) => {
    tail = `${tail}${line}\n`.slice(-8000)
  }
  createInterface({ input: child.stderr! }).on('line', remember)
  const lines = createInterface({ input: child.stdout! })

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not listen within ${START_TIMEOUT_MS} ms:\n${tail}`)), START_TIMEOUT_MS)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`service exited with ${code} before listening:\n${tail}`))
    })
    lines.on('line', (line) => {
      remember(line)
      if (!line.includes('"API listening"')) return
      clearTimeout(timer)
      resolve(JSON.parse(line).url)
    })
  })

  return {
    url,
    child,
    output: () => tail,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      const exited = once(child, 'exit')
      child.kill(signal)
      const [code] = await exited
      return code as number | null
    },
  }
}
