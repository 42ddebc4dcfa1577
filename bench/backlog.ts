/**
 * Appends a backlog of new-order commands straight to the command log with
 * its own producer, bypassing the API, while no engine runs.
 */

import type { CommandLogProducer } from '../src/log/types.ts'
import { encodeCommand } from '../src/log/commands.ts'
import { createOrderMix, toNewOrderCommand } from './order-mix.ts'

/** Appends in flight at once; enough to fill the producers' batches. */
const IN_FLIGHT = 2000

export interface Backlog {
  commands: number
  /** Id of the first command appended. */
  firstId: string
  /** Last order id appended on each symbol. */
  lastIds: Map<string, string>
  appendSeconds: number
}

export async function appendBacklog(producer: CommandLogProducer, commands: number, seed: number): Promise<Backlog> {
  const nextOrder = createOrderMix(seed)
  const lastIds = new Map<string, string>()
  let firstId = ''
  const start = performance.now()
  const startMs = Date.now()

  let inFlight: Promise<unknown>[] = []
  for (let i = 0; i < commands; i++) {
    const command = toNewOrderCommand(nextOrder(), startMs + i)
    if (i === 0) firstId = command.id
    lastIds.set(command.symbol, command.id)
    inFlight.push(producer.append(command.symbol, encodeCommand(command)))
    if (inFlight.length >= IN_FLIGHT) {
      await Promise.all(inFlight)
      inFlight = []
    }
  }
  await Promise.all(inFlight)

  return { commands, firstId, lastIds, appendSeconds: (performance.now() - start) / 1000 }
}
