/**
 * Runs `src/cli.ts` as a child process for the fault tests: an engine-only
 * role has no HTTP listener, so readiness is a log line, and the process
 * can be killed at any moment.
 */

import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { readLease } from './state.ts'

const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url))
const MAX_KEPT_LINES = 500_000

export interface EngineProcess {
  child: ChildProcess
  /** The last log lines, for failure messages. */
  output(): string
  /** Writes every log line so far to `path`, to keep a failed run's evidence. */
  saveLog(path: string): Promise<void>
  /** Resolves when a log line contains `text`; rejects if the process exits first or after `timeoutMs`. */
  waitForLine(text: string, timeoutMs: number): Promise<string>
  /** Sends the signal and waits for the exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>
  exited(): boolean
  /** Partitions this process logged as assigned to it, over its whole life. */
  assignedPartitions(): Set<number>
  /** Persisted offset of each partition at its last revocation, from the engine's log. */
  revokedOffsets(): Map<number, number>
}

export function spawnCli(role: string, env: Record<string, string>): EngineProcess {
  const child = spawn(process.execPath, [CLI, role], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })

  let tail = ''
  // Every line, bounded, so that a failed run can be examined afterwards.
  const lines: string[] = []
  const assigned = new Set<number>()
  const revoked = new Map<number, number>()
  const waiters: Array<{ text: string, resolve: (line: string) => void }> = []
  const onLine = (line: string) => {
    tail = `${tail}${line}\n`.slice(-12_000)
    if (lines.length < MAX_KEPT_LINES) lines.push(line)
    if (line.includes('"partition assigned"')) assigned.add((JSON.parse(line) as { partition: number }).partition)
    if (line.includes('"partition revoked"') && line.includes('"persistedOffset"')) {
      const entry = JSON.parse(line) as { partition: number, persistedOffset: number }
      revoked.set(entry.partition, entry.persistedOffset)
    }
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
    saveLog: (path) => writeFile(path, `${lines.join('\n')}\n`),
    exited: () => child.exitCode !== null || child.signalCode !== null,
    assignedPartitions: () => assigned,
    revokedOffsets: () => revoked,
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
 * Returns how many commands lie beyond the batches the leases show begun,
 * summed over the partitions: 0 once every last command is in a begun batch.
 */
export async function commandsBehind(
  doc: DynamoDBDocumentClient,
  snapshotsTable: string,
  lastOffsets: Map<number, bigint>,
): Promise<number> {
  let behind = 0
  for (const [partition, last] of lastOffsets) {
    const lease = await readLease(doc, snapshotsTable, partition).catch(() => undefined)
    const reached = lease === undefined ? -1 : Number(lease.toOffset)
    if (reached < Number(last)) behind += Number(last) - reached
  }
  return behind
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
    const behind = await commandsBehind(doc, snapshotsTable, lastOffsets)
    if (behind === 0) return
    if (Date.now() > deadline) throw new Error(`engine still ${behind} commands behind after ${timeoutMs} ms`)
    onWait()
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/**
 * Stops the process with SIGTERM and checks that it exits with 0 and that
 * its stop persisted every partition up to the last offset, so that the
 * store is final when a test reads it.
 */
export async function stopDrained(engine: EngineProcess, lastOffsets: Map<number, bigint>): Promise<void> {
  assert.equal(await engine.stop('SIGTERM'), 0, `graceful stop failed:\n${engine.output()}`)

  const persisted = engine.revokedOffsets()
  for (const [partition, last] of lastOffsets) {
    const reached = persisted.get(partition)
    assert.equal(reached, Number(last), `the stop left partition ${partition} persisted up to ${reached} of ${last}:\n${engine.output()}`)
  }
}
