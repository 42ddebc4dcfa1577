/**
 * Timed passes of one book over one scenario of the core benchmark's
 * command stream, without the other book, the trade check or the latency
 * passes, so that a profile of the process contains mostly this book's work:
 *
 *   node --expose-gc bench/core-passes.ts [--scenario crash] [--book core|peer]
 *     [--passes 3] [--commands 2000000] [--end 2000000] [--keep-warm] [--kinds]
 *
 * Each pass runs commands [0, end) on a fresh book after a forced GC, as
 * bench/core.ts does, and prints the process CPU time per command of the
 * first 200,000 commands and of the whole pass. --keep-warm keeps the
 * warm-up book alive. --kinds adds one pass that reads the clock around
 * every command and prints latency percentiles per command kind, from
 * command 400,000 on, when the book is warm.
 */

import { createCoreDriver, createPeerDriver, type ApplyCommand } from './core-drivers.ts'
import { defaultScenarios, generateFlow, type OrderFlow } from './flow-generator.ts'
import { latencyPercentiles } from './stats.ts'
import { parseOptions, positiveInteger } from './cli-args.ts'

const PREFIX_COMMANDS = 200_000
const KINDS_FROM_COMMAND = 400_000
const KIND_NAMES = ['GTC limit', 'IOC limit', 'cancel', 'modify']

const { values } = parseOptions({
  scenario: { type: 'string', default: 'crash' },
  book: { type: 'string', default: 'core' },
  passes: { type: 'string', default: '3' },
  commands: { type: 'string', default: '2000000' },
  end: { type: 'string' },
  'keep-warm': { type: 'boolean', default: false },
  kinds: { type: 'boolean', default: false },
})

const passes = positiveInteger('passes', values.passes)
const commands = positiveInteger('commands', values.commands)
const end = Math.min(commands, positiveInteger('end', values.end ?? values.commands))
if (values.book !== 'core' && values.book !== 'peer') {
  process.stderr.write(`--book must be core or peer, got ${JSON.stringify(values.book)}\n`)
  process.exit(2)
}
const scenario = defaultScenarios(commands, 42).find((candidate) => candidate.name === values.scenario)
if (scenario === undefined) {
  process.stderr.write(
    `invalid --scenario ${JSON.stringify(values.scenario)}: expected fixed-mid, calm, volatile or crash\n`,
  )
  process.exit(2)
}

const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => {})
const createDriver = values.book === 'core' ? createCoreDriver : createPeerDriver

function cpuNsSince(start: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(start)
  return (cpu.user + cpu.system) * 1000
}

/** Runs one pass on a fresh book and returns the CPU ns per command of the prefix and of the whole pass. */
function timePass(flow: OrderFlow): { prefixNs: number, wholeNs: number } {
  collectGarbage()
  const apply = createDriver(flow, null)
  const prefixEnd = Math.min(PREFIX_COMMANDS, end)
  const start = process.cpuUsage()
  let index = 0
  for (; index < prefixEnd; index++) apply(index)
  const prefixNs = cpuNsSince(start) / prefixEnd
  for (; index < end; index++) apply(index)
  return { prefixNs, wholeNs: cpuNsSince(start) / end }
}

/** Runs one pass with a clock read around each command and prints percentiles per command kind. */
function printKindLatencies(flow: OrderFlow): void {
  collectGarbage()
  const apply: ApplyCommand = createDriver(flow, null)
  const samples: number[][] = KIND_NAMES.map(() => [])
  for (let index = 0; index < end; index++) {
    const start = process.hrtime.bigint()
    apply(index)
    const elapsedNs = Number(process.hrtime.bigint() - start)
    if (index >= KINDS_FROM_COMMAND) samples[flow.kinds[index]].push(elapsedNs)
  }

  const totalNs = samples.flat().reduce((sum, value) => sum + value, 0)
  KIND_NAMES.forEach((name, kind) => {
    const kindSamples = Float64Array.from(samples[kind])
    const sumNs = kindSamples.reduce((sum, value) => sum + value, 0)
    const { p50, p99 } = latencyPercentiles(kindSamples)
    process.stdout.write(
      `${name}: ${kindSamples.length} commands, p50 ${p50} ns, p99 ${p99} ns, ` +
        `mean ${Math.round(sumNs / kindSamples.length)} ns, ${((100 * sumNs) / totalNs).toFixed(1)} % of the time\n`,
    )
  })
}

const flow = generateFlow(scenario)
// A module-level binding stays reachable until the process exits, so the
// warm-up book lives through the passes unless it is dropped here.
let warmBook: ApplyCommand | null = createDriver(flow, null)
for (let index = 0; index < Math.min(PREFIX_COMMANDS, end); index++) warmBook(index)
if (!values['keep-warm']) {
  warmBook = null
}

process.stdout.write(`${values.book} on ${scenario.name}, commands [0, ${end}), ${passes} passes\n`)
for (let pass = 1; pass <= passes; pass++) {
  const { prefixNs, wholeNs } = timePass(flow)
  process.stdout.write(
    `pass ${pass}: CPU ${Math.round(prefixNs)} ns per command on the first ${Math.min(PREFIX_COMMANDS, end)}, ` +
      `${Math.round(wholeNs)} ns on all ${end}\n`,
  )
}
if (values.kinds) {
  printKindLatencies(flow)
}
