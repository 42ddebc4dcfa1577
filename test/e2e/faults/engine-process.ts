/**
 * Runs `src/cli.ts` as a child process for the fault tests: an engine-only
 * role has no HTTP listener, so readiness is a log line, and the process
 * can be killed at any moment.
 */

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { readLease } from './state.ts'

const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url))

export interface EngineProcess {
  child: ChildProcess
  /** The last log lines, for failure messages. */
  output(): string
  /** Resolves when a log line contains `text`; rejects if the process exits first or after `timeoutMs`. */
  waitForLine(text: string, timeoutMs: number): Promise<string>
  /** Sends the signal and waits for the exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>
  exited(): boolean
  /** Partitions this process logged as assigned to it, over its whole life. */
  assignedPartitions(): Set<number>
}

export function spawnCli(role: string, env: Record<string, string>): EngineProcess {
  const child = spawn(process.execPath, [CLI, role], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })

  let tail = ''
  const assigned = new Set<number>()
  const waiters: Array<{ text: string, resolve: (line: string) => void }> = []
  const onLine = (line: string) => {
    tail = `${tail}${line}\n`.slice(-12_000)
    if (line.includes('"partition assigned"')) assigned.add((JSON.parse(line) as { partition: number }).partition)
    for (const waiter of [...waiters]) {
      if (!line.includes(waiter.text)) continue
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(line)
    }
  }
  createInterface({ input: child.stdout! }).on('line', onLine)
  createInterface({ input: child.stderr! }).on('line', onLine)
  const exit = once(child, 'exit')

  return {
    child,
    output: () => tail,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    assignedPartitions: () => assigned,
    waitForLine(text, timeoutMs) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no log line with ${text} within ${timeoutMs} ms:\n${tail}`)), timeoutMs)
        waiters.push({
          text,
          resolve: (line) => {
            clearTimeout(timer)
            resolve(line)
          },
        })
        void exit.then(() => {
          clearTimeout(timer)
          reject(new Error(`process exited before logging ${text}:\n${tail}`))
        })
      })
    },
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exit
      return child.exitCode
    },
  }
}

/**
 * Waits until every partition's lease shows its last command in a started
 * batch. The batch may still be persisting; a graceful stop finishes it.
 */
export async function waitForLeases(
  doc: DynamoDBDocumentClient,
  snapshotsTable: string,
  lastOffsets: Map<number, bigint>,
  timeoutMs: number,
  onWait: () => void = () => {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let behind = 0
    for (const [partition, last] of lastOffsets) {
      const lease = await readLease(doc, snapshotsTable, partition).catch(() => undefined)
      const reached = lease === undefined ? -1 : Number(lease.toOffset)
      if (reached < Number(last)) behind += Number(last) - reached
    }
    if (behind === 0) return
    if (Date.now() > deadline) throw new Error(`engine still ${behind} commands behind after ${timeoutMs} ms`)
    onWait()
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}
