/**
 * How far the core benchmark's ratio can go: times our core, the peer and
 * three variants of the floor book (bench/floor-book.ts) on the same
 * command stream, and reports the peer's time per command over each book's.
 *
 *   node bench/core-floor.ts [--scenario crash ...] [--book floor ...]
 *     [--passes 3] [--commands 2000000] [--seed 42]
 *
 * The floor variants: `floor` keeps the core's window of 100,000 remembered
 * ids, `floor-objects` also allocates an order object per submit as the
 * core's API must, and `floor-bare` has neither. Before timing, each
 * scenario checks that every floor variant makes the same trades as the
 * core over the whole stream (count, lots and the hash of bench/core.ts).
 *
 * Each pass times every book in turn, each in a fresh node process,
 * because books that share a process slow each other down. The process
 * generates the stream and warms the book up on its first 200,000 commands.
 * Then it measures the process CPU time of one run over the whole stream.
 * Figures are medians over the passes. The last line printed is a JSON
 * summary.
 */

import { fileURLToPath } from 'node:url'
import { runChildForJson } from './child-run.ts'
import { createCoreDriver, createPeerDriver, TradeRecorder, type ApplyCommand } from './core-drivers.ts'
import { createFloorDriver, floorTradeDigest, type FloorBookOptions } from './floor-book.ts'
import { defaultScenarios, generateFlow, type OrderFlow } from './flow-generator.ts'
import { parseOptions, positiveInteger } from './cli-args.ts'
import { median } from './stats.ts'
import { DEFAULT_SEEN_ID_CAPACITY } from '../src/core/types.ts'

const WARMUP_COMMANDS = 200_000

const { values } = parseOptions({
  scenario: { type: 'string', multiple: true },
  passes: { type: 'string', default: '3' },
  commands: { type: 'string', default: '2000000' },
  seed: { type: 'string', default: '42' },
  book: { type: 'string', multiple: true },
  child: { type: 'boolean', default: false },
})

const passes = positiveInteger('passes', values.passes)
const commands = positiveInteger('commands', values.commands)
const seed = positiveInteger('seed', values.seed)
const allScenarios = defaultScenarios(commands, seed)
const unknown = values.scenario?.filter((name) => !allScenarios.some((scenario) => scenario.name === name)) ?? []
if (unknown.length > 0) {
  const names = allScenarios.map((scenario) => scenario.name).join(', ')
  process.stderr.write(`invalid --scenario ${JSON.stringify(unknown[0])}: expected one of ${names}\n`)
  process.exit(2)
}
const scenarios = allScenarios.filter((scenario) => values.scenario?.includes(scenario.name) ?? true)

const collectGarbage = (globalThis as { gc?: () => void }).gc
if (collectGarbage === undefined && values.child) {
  process.stderr.write('--child needs node --expose-gc, so that every pass starts after a collection\n')
  process.exit(2)
}

const FLOOR_VARIANTS: Record<string, Omit<FloorBookOptions, 'onFill'>> = {
  floor: { seenIdCapacity: DEFAULT_SEEN_ID_CAPACITY, orderObjects: false },
  'floor-objects': { seenIdCapacity: DEFAULT_SEEN_ID_CAPACITY, orderObjects: true },
  'floor-bare': { seenIdCapacity: 0, orderObjects: false },
}

const allDrivers: Record<string, (flow: OrderFlow) => ApplyCommand> = {
  core: (flow) => createCoreDriver(flow, null),
  peer: (flow) => createPeerDriver(flow, null),
  ...Object.fromEntries(
    Object.entries(FLOOR_VARIANTS).map(([name, options]) => [
      name,
      (flow: OrderFlow) => createFloorDriver(flow, options),
    ]),
  ),
}

const unknownBook = values.book?.find((name) => !(name in allDrivers))
if (unknownBook !== undefined) {
  const names = Object.keys(allDrivers).join(', ')
  process.stderr.write(`invalid --book ${JSON.stringify(unknownBook)}: expected one of ${names}\n`)
  process.exit(2)
}
const drivers = Object.fromEntries(
  Object.entries(allDrivers).filter(([name]) => values.book?.includes(name) ?? true),
)

/** Returns whether every floor variant makes the core's trades over the whole stream. */
function checkTrades(flow: OrderFlow): boolean {
  const coreRecorder = new TradeRecorder(flow.length)
  const core = createCoreDriver(flow, coreRecorder)
  for (let index = 0; index < flow.length; index++) core(index)
  const expected = JSON.stringify(coreRecorder.digest())

  let passed = true
  for (const [name, options] of Object.entries(FLOOR_VARIANTS)) {
    const digest = JSON.stringify(floorTradeDigest(flow, options))
    if (digest !== expected) {
      process.stdout.write(`  trade check FAILED for ${name}: ${digest}, core ${expected}\n`)
      passed = false
    }
  }
  return passed
}

function cpuNsPerCommand(flow: OrderFlow, createDriver: (flow: OrderFlow) => ApplyCommand): number {
  collectGarbage?.()
  const apply = createDriver(flow)
  const start = process.cpuUsage()
  for (let index = 0; index < flow.length; index++) apply(index)
  const cpu = process.cpuUsage(start)
  return ((cpu.user + cpu.system) * 1000) / flow.length
}

/** Warms one book up in this child process, then times one pass of it and prints the CPU ns per command. */
function timeOneBook(name: string): void {
  const createDriver = allDrivers[name]
  const flow = generateFlow(scenarios[0])
  const warm = createDriver(flow)
  for (let index = 0; index < Math.min(WARMUP_COMMANDS, flow.length); index++) warm(index)
  process.stdout.write(`${JSON.stringify({ book: name, cpuNsPerCommand: cpuNsPerCommand(flow, createDriver) })}\n`)
}

/** Times one book in a fresh node process on one scenario. */
async function timeInChild(name: string, scenario: string): Promise<number> {
  const args = ['--child', '--book', name, '--scenario', scenario]
  args.push('--commands', String(commands), '--seed', String(seed))
  const run = await runChildForJson<{ cpuNsPerCommand: number }>(
    fileURLToPath(import.meta.url),
    args,
    `${name} on ${scenario}`,
  )
  return run.cpuNsPerCommand
}

if (values.child) {
  if (values.book?.length !== 1 || values.scenario?.length !== 1) {
    process.stderr.write('--child needs exactly one --book and one --scenario\n')
    process.exit(2)
  }
  timeOneBook(values.book[0])
  process.exit(0)
}

const results = []
let allPassed = true
for (const scenario of scenarios) {
  const passed = checkTrades(generateFlow(scenario))
  allPassed &&= passed
  process.stdout.write(`${scenario.name}: trade check of the floor books ${passed ? 'passed' : 'FAILED'}\n`)

  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(drivers).map((name) => [name, []]))
  for (let pass = 0; pass < passes; pass++) {
    for (const name of Object.keys(drivers)) samples[name].push(await timeInChild(name, scenario.name))
  }

  const cpuNsPerCommandMedian = Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [name, Math.round(median(values))]),
  )
  const peerNs = cpuNsPerCommandMedian.peer
  const peerOver = Object.fromEntries(
    Object.entries(cpuNsPerCommandMedian)
      .filter(([name]) => name !== 'peer' && peerNs !== undefined)
      .map(([name, ns]) => [name, Math.round((10 * peerNs) / ns) / 10]),
  )
  results.push({ scenario: scenario.name, tradeCheckPassed: passed, cpuNsPerCommand: cpuNsPerCommandMedian, peerOver })
  const times = Object.entries(cpuNsPerCommandMedian).map(([name, ns]) => `${name} ${ns}`)
  process.stdout.write(`  CPU ns per command (median of ${passes}): ${times.join(', ')}\n`)
  if (peerNs !== undefined) {
    const ratios = Object.entries(peerOver).map(([name, ratio]) => `${name} ${ratio}x`)
    process.stdout.write(`  the peer's time over each book's: ${ratios.join(', ')}\n`)
  }
}

const summary = { bench: 'core-floor', node: process.version, commands, passes, seed, scenarios: results }
process.stdout.write(`${JSON.stringify(summary)}\n`)
if (!allPassed) process.exitCode = 1
