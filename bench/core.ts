/**
 * Core benchmark: the same deterministic command stream through our
 * MatchingEngine and through nodejs-order-book.
 *
 *   node --expose-gc bench/core.ts [--commands 2000000] [--runs 3]
 *     [--peer-commands N] [--slice-commands 200000] [--warmup 200000] [--seed 42]
 *     [--scenario NAME ...] [--keep-warm] [--same-process]
 *
 * The peer runs the whole stream unless --peer-commands limits it to a
 * prefix. Per scenario: one checking pass compares the trades of both books
 * on the peer's commands (count, lots, hash of price, lots, maker and taker
 * ids in order). Then each run measures our core over the whole stream (and
 * the peer's commands within it), then the peer over its commands: a timed
 * pass, and a second pass with process.hrtime.bigint() around every command
 * for latencies. The timed passes also read the wall clock and the process
 * CPU time every 25,000 commands of the first 200,000 (--slice-commands) of
 * the peer's commands. The slice rates show how each book speeds up while
 * V8 optimizes it again, and CPU time is less disturbed than wall time by
 * other jobs on the machine. Figures are medians over the runs. The last
 * line printed is a JSON summary.
 *
 * Each book's run takes place in a fresh node process (this script with
 * --measure), which generates the same stream and warms the book up on its
 * first 200,000 commands (--warmup). Books that share a process slow each
 * other down through the heap and the compiled code they leave behind, so
 * the separate processes measure each book on its own. --same-process runs
 * everything in this process instead, with one warm-up per scenario, as
 * this benchmark did before.
 *
 * A forced GC runs before each timed pass. It also collects the hidden
 * classes of the previous pass's objects, which deoptimizes the book's
 * code, so each pass starts with a re-optimization phase. --keep-warm keeps
 * the warm-up book alive for the whole scenario, as a long-running process
 * keeps its books, so the hidden classes survive.
 */

import { fileURLToPath } from 'node:url'
import { runChildForJson } from './child-run.ts'
import { createCoreDriver, createPeerDriver, TradeRecorder, type ApplyCommand, type TradeDigest } from './core-drivers.ts'
import { defaultScenarios, generateFlow, type OrderFlow } from './flow-generator.ts'
import { parseOptions, positiveInteger } from './cli-args.ts'
import {
  hrtimePairOverheadNs,
  latencyPercentiles,
  median,
  medianPercentiles,
  type LatencyPercentiles,
} from './stats.ts'

const TARGET_COMMANDS_PER_SEC = 1_000_000
const TARGET_RATIO = 10
const SLICE_COMMANDS = 25_000

const { values } = parseOptions({
  commands: { type: 'string', default: '2000000' },
  runs: { type: 'string', default: '3' },
  'peer-commands': { type: 'string' },
  // The first commands, where both books warm up, are timed in slices.
  'slice-commands': { type: 'string', default: '200000' },
  warmup: { type: 'string', default: '200000' },
  seed: { type: 'string', default: '42' },
  scenario: { type: 'string', multiple: true },
  'keep-warm': { type: 'boolean', default: false },
  'same-process': { type: 'boolean', default: false },
  // Internal: set on the child processes, each of which measures one book.
  measure: { type: 'string' },
})

const commands = positiveInteger('commands', values.commands)
const runs = positiveInteger('runs', values.runs)
const peerCommands =
  values['peer-commands'] === undefined ? commands : positiveInteger('peer-commands', values['peer-commands'])
const slicedCommands = positiveInteger('slice-commands', values['slice-commands'])
const warmupCommands = positiveInteger('warmup', values.warmup)
const seed = positiveInteger('seed', values.seed)

const scenarioFilter = values.scenario
const allScenarios = defaultScenarios(commands, seed)
const unknown = scenarioFilter?.filter((name) => !allScenarios.some((scenario) => scenario.name === name)) ?? []
if (unknown.length > 0) {
  const names = allScenarios.map((scenario) => scenario.name).join(', ')
  process.stderr.write(`invalid --scenario ${JSON.stringify(unknown[0])}: expected one of ${names}\n`)
  process.exit(2)
}
const scenarios = allScenarios.filter(
  (scenario) => scenarioFilter === undefined || scenarioFilter.includes(scenario.name),
)

const forcedGc = (globalThis as { gc?: () => void }).gc
const timedInThisProcess = values['same-process'] || values.measure !== undefined
if (forcedGc === undefined && timedInThisProcess) {
  process.stderr.write(
    'warning: run with node --expose-gc (as npm run bench:core does), or no pass starts after a collection\n',
  )
}
const collectGarbage = forcedGc ?? (() => {})

type DriverFactory = (flow: OrderFlow, recorder: TradeRecorder | null) => ApplyCommand

/** Wall-clock and CPU seconds since the start of a timed pass, at each cut point. */
interface PassTimes {
  seconds: number[]
  /** Process CPU time (user + system, all threads, so GC and JIT threads too). */
  cpuSeconds: number[]
}

/** Times the commands [0, end) on a fresh book, reading both clocks at each of the cut points. */
function timeRun(factory: DriverFactory, flow: OrderFlow, cuts: number[]): PassTimes {
  collectGarbage()
  const apply = factory(flow, null)
  const times: PassTimes = { seconds: [], cpuSeconds: [] }
  let index = 0
  const startCpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  for (const cut of cuts) {
    for (; index < cut; index++) apply(index)
    times.seconds.push(Number(process.hrtime.bigint() - start) / 1e9)
    const cpu = process.cpuUsage(startCpu)
    times.cpuSeconds.push((cpu.user + cpu.system) / 1e6)
  }
  return times
}

/** Returns cut points every SLICE_COMMANDS commands below end, then end. */
function sliceCuts(end: number): number[] {
  const cuts: number[] = []
  for (let cut = SLICE_COMMANDS; cut < end; cut += SLICE_COMMANDS) cuts.push(cut)
  cuts.push(end)
  return cuts
}

/** Returns the slice cuts up to sliceEnd, then each of `ends` beyond them, ascending. */
function passCuts(sliceEnd: number, ends: number[]): number[] {
  const cuts = sliceCuts(sliceEnd)
  for (const end of [...ends].sort((a, b) => a - b)) {
    if (end > cuts[cuts.length - 1]) cuts.push(end)
  }
  return cuts
}

/** Returns the rate, in commands/s, of each slice: from the previous cut (0 for the first) to this cut. */
function sliceRates(cuts: number[], seconds: number[]): number[] {
  return cuts.map((cut, i) => {
    const fromCut = i === 0 ? 0 : cuts[i - 1]
    const fromSeconds = i === 0 ? 0 : seconds[i - 1]
    return (cut - fromCut) / (seconds[i] - fromSeconds)
  })
}

/** Returns the median of each column of equally long rows. */
function columnMedians(rows: number[][]): number[] {
  return rows[0].map((_, column) => median(rows.map((row) => row[column])))
}

/** Runs the commands [0, end) on a fresh book with a clock read around each one. */
function latencyRun(factory: DriverFactory, flow: OrderFlow, end: number): LatencyPercentiles {
  collectGarbage()
  const apply = factory(flow, null)
  const samples = new Float64Array(end)
  for (let index = 0; index < end; index++) {
    const start = process.hrtime.bigint()
    apply(index)
    samples[index] = Number(process.hrtime.bigint() - start)
  }
  return latencyPercentiles(samples)
}

function checkTrades(
  flow: OrderFlow,
  prefixEnd: number,
): { passed: boolean, core: TradeDigest, peer: TradeDigest, coreWhole: TradeDigest } {
  const coreRecorder = new TradeRecorder(prefixEnd)
  const core = createCoreDriver(flow, coreRecorder)
  for (let index = 0; index < flow.length; index++) core(index)

  const peerRecorder = new TradeRecorder(prefixEnd)
  const peer = createPeerDriver(flow, peerRecorder)
  for (let index = 0; index < prefixEnd; index++) peer(index)

  const corePrefix = coreRecorder.prefixDigest as TradeDigest
  const peerPrefix = peerRecorder.prefixDigest as TradeDigest
  const passed =
    corePrefix.trades === peerPrefix.trades &&
    corePrefix.lots === peerPrefix.lots &&
    corePrefix.hash === peerPrefix.hash
  return { passed, core: corePrefix, peer: peerPrefix, coreWhole: coreRecorder.digest() }
}

/** Warm-up drivers that --keep-warm keeps alive until the scenario ends. */
const warmDrivers: ApplyCommand[] = []

function warmUp(factory: DriverFactory, flow: OrderFlow, end: number): void {
  const apply = factory(flow, null)
  for (let index = 0; index < Math.min(warmupCommands, end); index++) apply(index)
  if (values['keep-warm']) {
    warmDrivers.push(apply)
  }
}

/** The figures of one book in one run: the timed pass and the latencies. */
interface BookRun {
  times: PassTimes
  latency: LatencyPercentiles
}

type BookName = 'core' | 'peer'

const FACTORIES: Record<BookName, DriverFactory> = { core: createCoreDriver, peer: createPeerDriver }

/** Times one book over [0, end) at the cut points, then takes its latencies over the same commands. */
function measureBook(book: BookName, flow: OrderFlow, cuts: number[]): BookRun {
  const end = cuts[cuts.length - 1]
  return { times: timeRun(FACTORIES[book], flow, cuts), latency: latencyRun(FACTORIES[book], flow, end) }
}

/** Runs measureBook in a fresh node process, which generates the same stream and warms the book up. */
async function measureInChild(book: BookName, scenario: string): Promise<BookRun> {
  const args = [
    '--measure',
    book,
    '--scenario',
    scenario,
    '--commands',
    String(commands),
    '--peer-commands',
    String(peerCommands),
    '--slice-commands',
    String(slicedCommands),
    '--warmup',
    String(warmupCommands),
    '--seed',
    String(seed),
  ]
  if (values['keep-warm']) args.push('--keep-warm')
  return await runChildForJson<BookRun>(fileURLToPath(import.meta.url), args, `${book} on ${scenario}`)
}

function round(value: number, digits = 0): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

/** Returns the cut points of one book's timed pass: slices of the first commands, the peer's end, and ours. */
function cutsOf(book: BookName, flow: OrderFlow): number[] {
  const peerEnd = Math.min(peerCommands, flow.length)
  const sliceEnd = Math.min(slicedCommands, peerEnd)
  return passCuts(sliceEnd, book === 'core' ? [peerEnd, flow.length] : [peerEnd])
}

if (values.measure !== undefined) {
  const book = values.measure
  if (book !== 'core' && book !== 'peer') {
    process.stderr.write(`invalid --measure ${JSON.stringify(book)}: expected core or peer\n`)
    process.exit(2)
  }
  if (values.scenario?.length !== 1) {
    process.stderr.write('--measure needs exactly one --scenario\n')
    process.exit(2)
  }
  const flow = generateFlow(scenarios[0])
  const cuts = cutsOf(book, flow)
  warmUp(FACTORIES[book], flow, cuts[cuts.length - 1])
  process.stdout.write(`${JSON.stringify(measureBook(book, flow, cuts))}\n`)
  process.exit(0)
}

const overheadNs = hrtimePairOverheadNs()
process.stdout.write(`node ${process.version}, hrtime pair overhead ${overheadNs} ns (included in latencies)\n`)

const results = []

for (const scenario of scenarios) {
  const generateStart = process.hrtime.bigint()
  const flow = generateFlow(scenario)
  const generateSeconds = Number(process.hrtime.bigint() - generateStart) / 1e9
  const peerEnd = Math.min(peerCommands, flow.length)
  process.stdout.write(
    `\n${scenario.name}: ${scenario.description}; ${flow.length} commands generated in ${generateSeconds.toFixed(1)} s ` +
      `(${JSON.stringify(flow.counts)}, mid ${flow.minMidTicks.toFixed(0)}..${flow.maxMidTicks.toFixed(0)} ticks)\n`,
  )

  const check = checkTrades(flow, peerEnd)
  process.stdout.write(
    `  trade check on the first ${peerEnd} commands: ${check.passed ? 'passed' : 'FAILED'} ` +
      `(core ${JSON.stringify(check.core)}, peer ${JSON.stringify(check.peer)}); ` +
      `whole stream: ${check.coreWhole.trades} trades\n`,
  )

  if (values['same-process']) {
    warmUp(createCoreDriver, flow, flow.length)
    warmUp(createPeerDriver, flow, peerEnd)
  }
  const measure = async (book: BookName): Promise<BookRun> =>
    values['same-process'] ? measureBook(book, flow, cutsOf(book, flow)) : await measureInChild(book, scenario.name)

  const coreRates: number[] = []
  const coreOnPeerRates: number[] = []
  const peerRates: number[] = []
  const coreLatencies: LatencyPercentiles[] = []
  const peerLatencies: LatencyPercentiles[] = []
  const sliceEnd = Math.min(slicedCommands, peerEnd)
  const slices = sliceCuts(sliceEnd)
  const sliceSize = Math.min(SLICE_COMMANDS, sliceEnd)
  const coreCuts = cutsOf('core', flow)
  const peerCuts = cutsOf('peer', flow)
  const coreSliceRates: number[][] = []
  const peerSliceRates: number[][] = []
  const coreCpuNs: number[] = []
  const coreOnPeerCpuNs: number[] = []
  const peerCpuNs: number[] = []
  for (let run = 0; run < runs; run++) {
    const coreRun = await measure('core')
    const core = coreRun.times
    const corePeerEnd = coreCuts.indexOf(peerEnd)
    const coreWholeEnd = coreCuts.length - 1
    coreOnPeerRates.push(peerEnd / core.seconds[corePeerEnd])
    coreRates.push(flow.length / core.seconds[coreWholeEnd])
    coreSliceRates.push(sliceRates(slices, core.seconds))
    coreOnPeerCpuNs.push((core.cpuSeconds[corePeerEnd] * 1e9) / peerEnd)
    coreCpuNs.push((core.cpuSeconds[coreWholeEnd] * 1e9) / flow.length)

    const peerRun = await measure('peer')
    const peer = peerRun.times
    const peerWholeEnd = peerCuts.length - 1
    peerRates.push(peerEnd / peer.seconds[peerWholeEnd])
    peerSliceRates.push(sliceRates(slices, peer.seconds))
    peerCpuNs.push((peer.cpuSeconds[peerWholeEnd] * 1e9) / peerEnd)

    coreLatencies.push(coreRun.latency)
    peerLatencies.push(peerRun.latency)
    process.stdout.write(
      `  run ${run + 1}: core ${round(coreRates[run])} cmd/s (${round(coreOnPeerRates[run])} on the peer's ` +
        `${peerEnd} commands), peer ${round(peerRates[run])} cmd/s\n`,
    )
  }

  const coreRate = median(coreRates)
  const coreOnPeerRate = median(coreOnPeerRates)
  const peerRate = median(peerRates)
  const coreLatency = medianPercentiles(coreLatencies)
  const peerLatency = medianPercentiles(peerLatencies)
  const coreSlices = columnMedians(coreSliceRates).map((rate) => round(rate))
  const peerSlices = columnMedians(peerSliceRates).map((rate) => round(rate))
  const result = {
    scenario: scenario.name,
    commands: flow.length,
    counts: flow.counts,
    trades: check.coreWhole.trades,
    coreCommandsPerSec: round(coreRate),
    /** The peer's commands: the whole stream, or a prefix with --peer-commands. */
    peerCommands: peerEnd,
    coreOnPeerCommandsPerSec: round(coreOnPeerRate),
    peerCommandsPerSec: round(peerRate),
    /** Our rate over the peer's rate on the same commands. */
    ratio: round(coreOnPeerRate / peerRate, 1),
    /**
     * Process CPU time per command, which load from other jobs on the machine
     * disturbs less than wall time: our core on the whole stream and on the
     * peer's commands, the peer on its commands.
     */
    cpuNsPerCommand: {
      core: round(median(coreCpuNs)),
      coreOnPeerCommands: round(median(coreOnPeerCpuNs)),
      peer: round(median(peerCpuNs)),
    },
    /** The peer's CPU time per command over ours, on the same commands. */
    cpuRatio: round(median(peerCpuNs) / median(coreOnPeerCpuNs), 1),
    /** Median rates of consecutive slices of the first coveredCommands, the last slice possibly shorter. */
    slices: {
      commandsPerSlice: sliceSize,
      coveredCommands: sliceEnd,
      coreCommandsPerSec: coreSlices,
      peerCommandsPerSec: peerSlices,
    },
    coreLatencyNs: coreLatency,
    peerLatencyNs: peerLatency,
    tradeCheck: { passed: check.passed, commands: peerEnd, core: check.core, peer: check.peer },
  }
  results.push(result)
  warmDrivers.length = 0
  process.stdout.write(
    `  CPU ns per command: core ${result.cpuNsPerCommand.core} ` +
      `(${result.cpuNsPerCommand.coreOnPeerCommands} on the peer's commands), ` +
      `peer ${result.cpuNsPerCommand.peer}; ratio ${result.cpuRatio}x on the same commands\n`,
  )
  process.stdout.write(
    `  first ${sliceEnd} commands in slices of ${sliceSize}, median cmd/s: core ${coreSlices.join(' ')}; ` +
      `peer ${peerSlices.join(' ')}\n`,
  )
  process.stdout.write(
    `  median: core ${result.coreCommandsPerSec} cmd/s (${result.coreOnPeerCommandsPerSec} on the peer's commands), ` +
      `latency p50/p99/p99.9 ` +
      `${coreLatency.p50}/${coreLatency.p99}/${coreLatency.p999} ns; peer ${result.peerCommandsPerSec} cmd/s, ` +
      `${peerLatency.p50}/${peerLatency.p99}/${peerLatency.p999} ns; ratio ${result.ratio}x on the same commands\n`,
  )
}

const worst = results.reduce((a, b) => (b.coreCommandsPerSec < a.coreCommandsPerSec ? b : a))
const minRatio = Math.min(...results.map((result) => result.ratio))
const summary = {
  bench: 'core',
  node: process.version,
  commandsPerScenario: commands,
  runs,
  seed,
  keepWarm: values['keep-warm'],
  sameProcess: values['same-process'],
  hrtimePairOverheadNs: overheadNs,
  scenarios: results,
  worstCase: { scenario: worst.scenario, coreCommandsPerSec: worst.coreCommandsPerSec },
  minRatio,
  tradeChecksPassed: results.every((result) => result.tradeCheck.passed),
  targets: {
    coreCommandsPerSec: TARGET_COMMANDS_PER_SEC,
    ratio: TARGET_RATIO,
    rateMet: worst.coreCommandsPerSec >= TARGET_COMMANDS_PER_SEC,
    ratioMet: minRatio >= TARGET_RATIO,
  },
}
process.stdout.write(`${JSON.stringify(summary)}\n`)

// Rates of two books that disagree on the trades compare different work.
if (!summary.tradeChecksPassed) process.exitCode = 1
