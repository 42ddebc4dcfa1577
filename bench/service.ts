/**
 * Service benchmark: runs the service CLI in the embedded mode (file log,
 * in-process dynalite) and in the Kafka mode (a broker from
 * scripts/kafka/kafka.sh on 31000/31001, dynalite from scripts/dynalite.ts),
 * and measures per mode:
 * - accepted orders/s under closed-loop load (autocannon, N connections);
 * - POST latency p50/p99 at a fixed offered rate, and when that is not
 *   sustained, at a lower one (by default half the closed-loop rate);
 * - the time the engine takes to apply what the load left behind;
 * - the time to drain a backlog appended straight to the log while no
 *   engine runs, and the engine rate it shows;
 * - store write requests and items per command, from the `store closed`
 *   line each service process logs when it stops (its store counts what it
 *   sent, startup and stop included);
 * - CPU use of the service processes and dynalite, in cores, per phase.
 *
 * The Kafka mode runs the API and the engine as separate `api` and `engine`
 * processes, the deployment recommended for Kafka. `--mode kafka-all` runs
 * both in one `all` process instead. `--drain-only` skips the HTTP load.
 * `--background-nice N` (with `--mode kafka` only) starts the `engine` role
 * and dynalite at niceness N, so that the API and the load generator get a
 * core before them when all want one.
 *
 *   node bench/service.ts [--mode embedded --mode kafka --mode kafka-all]
 *     [--duration 15] [--connections 32] [--rate 2000] [--low-rate N]
 *     [--rate-duration 10] [--backlog 100000] [--drain-only] [--cpu-prof DIR]
 *     [--background-nice N]
 *
 * Every port is in 31000-31099.
 *
 * The last line printed is a JSON summary.
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import { createFileLog } from '../src/log/file-log.ts'
import { createKafkaLog } from '../src/log/kafka-log.ts'
import type { CommandLog } from '../src/log/types.ts'
import { createDynamoStore } from '../src/store/dynamo-store.ts'
import { sumRequestCounts, type StoreRequestCounts } from '../src/store/request-counts.ts'
import { startDynaliteProcess } from '../test/helpers/dynalite.ts'
import { startKafka, stopKafka } from '../test/helpers/kafka-broker.ts'
import { appendBacklog } from './backlog.ts'
import { findProcess, sampleCpu, type CpuSampler, type CpuUsage } from './service-cpu.ts'
import { SYMBOLS } from './order-mix.ts'
import { apiProbe, loadOrders, waitApplied, type AppliedProbe, type LoadResult } from './service-load.ts'
import { startServiceProcess, stopServiceProcesses, type ServiceProcess } from './service-processes.ts'
import { parseOptions, positiveInteger } from './cli-args.ts'

const KAFKA_PORT = 31000
const KAFKA_CONTROLLER_PORT = 31001
const EMBEDDED_API_PORT = 31010
const KAFKA_API_PORT = 31011
const DYNALITE_PORTS: [number, number] = [31020, 31029]
const PARTITIONS = 3
const TOPIC = 'bench.orders'
const APPLY_TIMEOUT_MS = 300_000
/** Slowest engine rate the drain waits for, in commands/s. It sets the drain timeout. */
const MIN_DRAIN_COMMANDS_PER_SEC = 50
/** A fixed rate counts as sustained when the API accepted at least this share of it. */
const SUSTAINED_SHARE = 0.95

const { values } = parseOptions({
  mode: { type: 'string', multiple: true },
  duration: { type: 'string', default: '15' },
  connections: { type: 'string', default: '32' },
  rate: { type: 'string', default: '2000' },
  // Half the closed-loop rate unless given, so the second run is below saturation.
  'low-rate': { type: 'string' },
  'rate-duration': { type: 'string', default: '10' },
  backlog: { type: 'string', default: '100000' },
  'drain-only': { type: 'boolean', default: false },
  'cpu-prof': { type: 'string' },
  'background-nice': { type: 'string' },
})

const MODES = ['embedded', 'kafka', 'kafka-all']
const modes = values.mode ?? ['embedded', 'kafka']
for (const mode of modes) {
  if (!MODES.includes(mode)) {
    process.stderr.write(`--mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}\n`)
    process.exit(2)
  }
}
const durationSec = positiveInteger('duration', values.duration)
const connections = positiveInteger('connections', values.connections)
const rate = positiveInteger('rate', values.rate)
const lowRateOption = values['low-rate'] === undefined ? undefined : positiveInteger('low-rate', values['low-rate'])
const rateDurationSec = positiveInteger('rate-duration', values['rate-duration'])
const backlogCommands = positiveInteger('backlog', values.backlog)
const cpuProfileRoot = values['cpu-prof']
const backgroundNice = values['background-nice'] === undefined
  ? undefined
  : positiveInteger('background-nice', values['background-nice'])
if (backgroundNice !== undefined && backgroundNice > 19) {
  process.stderr.write(`--background-nice must be a positive integer up to 19, got ${backgroundNice}\n`)
  process.exit(2)
}
// In the other modes the engine shares its process with the API.
if (backgroundNice !== undefined && modes.some((mode) => mode !== 'kafka')) {
  process.stderr.write('--background-nice needs --mode kafka, and no other mode\n')
  process.exit(2)
}

const logger = pino({ level: 'warn' })

function print(line: string): void {
  process.stdout.write(`${line}\n`)
}

function profileDir(mode: string, phase: string): string | undefined {
  if (cpuProfileRoot === undefined) return undefined
  const dir = join(cpuProfileRoot, `${mode}-${phase}`)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** The infrastructure of one mode and how to reach it. */
interface ModeSetup {
  /** Environment of the service processes. */
  env: Record<string, string>
  /** Opens the mode's command log from the bench process, for the backlog. */
  openLog(): CommandLog
  /** Probe for the drain, when the drain runs without the API. */
  storeProbe: AppliedProbe | undefined
  /** Processes that serve the HTTP load; the last one runs the API. */
  loadRoles: ServiceRole[]
  drainRole: 'all' | 'engine'
  /** Pids of dynalite and the broker when they run in processes of their own. */
  dynalitePid: number | undefined
  brokerPid: number | undefined
}

/**
 * Functions that stop what a mode started. They run last first when the
 * mode ends or the bench is interrupted.
 */
type Stops = (() => Promise<void>)[]

type ServiceRole = 'all' | 'api' | 'engine'

async function setUpEmbedded(root: string): Promise<ModeSetup> {
  const dataDir = join(root, 'data')
  const env = { DATA_DIR: dataDir, PORT: String(EMBEDDED_API_PORT), EMBEDDED_PARTITIONS: String(PARTITIONS) }
  return {
    env,
    openLog: () => createFileLog({ dir: join(dataDir, 'log'), partitions: PARTITIONS, logger }),
    storeProbe: undefined,
    // The embedded log and store live in the `all` process only.
    loadRoles: ['all'],
    drainRole: 'all',
    dynalitePid: undefined,
    brokerPid: undefined,
  }
}

async function setUpKafka(root: string, loadRoles: ServiceRole[], stops: Stops): Promise<ModeSetup> {
  const brokerOptions = { port: KAFKA_PORT, controllerPort: KAFKA_CONTROLLER_PORT, dataDir: join(root, 'kafka') }
  // Registered before the start, which an interrupt can cut after the broker is up.
  stops.push(() => stopKafka(brokerOptions))
  const broker = await startKafka({ ...brokerOptions, alwaysStart: true })

  const dynalite = await startDynaliteProcess({ ports: DYNALITE_PORTS, createTableMs: 0, nice: backgroundNice })
  stops.push(() => dynalite.stop())
  const dynalitePort = new URL(dynalite.endpoint).port
  const bootstrap = broker.bootstrapServers.join(',')
  const store = createDynamoStore({
    region: 'us-east-1',
    endpoint: dynalite.endpoint,
    tables: {
      orders: 'orders',
      orderBook: 'order_book',
      trades: 'trades_by_order',
      levels: 'book_levels',
      snapshots: 'engine_snapshots',
      deadLetters: 'dead_letters',
    },
    requestTimeoutMs: 3000,
    logger,
  })
  stops.push(() => store.close())

  const env = {
    PORT: String(KAFKA_API_PORT),
    KAFKA_BOOTSTRAP_SERVERS: bootstrap,
    KAFKA_TOPIC_ORDENES: TOPIC,
    KAFKA_PARTITIONS: String(PARTITIONS),
    AWS_ENDPOINT_URL: dynalite.endpoint,
    DATA_DIR: join(root, 'data'),
  }

  return {
    env,
    openLog: () =>
      createKafkaLog({
        bootstrapServers: broker.bootstrapServers,
        topic: TOPIC,
        partitions: PARTITIONS,
        clientId: 'bench-backlog',
        requestTimeoutMs: 10_000,
        logger,
      }),
    storeProbe: async (orderId) => {
      const order = await store.getOrder(orderId)
      return order !== null && order.status !== 'accepted'
    },
    loadRoles,
    drainRole: 'engine',
    dynalitePid: findProcess(['scripts/dynalite.ts', '--port', dynalitePort]),
    // scripts/kafka/kafka.sh starts the JVM with the config file in its data directory.
    brokerPid: findProcess(['kafka.Kafka', join(root, 'kafka', 'server.properties')]),
  }
}

/** Returns what the store of a stopped service process sent, from its `store closed` line. */
function storeSentBy(service: ServiceProcess): StoreRequestCounts {
  const sent = service.storeSent()
  if (sent === undefined) throw new Error(`a service process (pid ${service.pid}) logged no "store closed" line`)
  return sent
}

function summarizeLoad(load: LoadResult): Omit<LoadResult, 'lastIds'> {
  const { lastIds: _lastIds, ...rest } = load
  return rest
}

function perCommand(counts: StoreRequestCounts, commands: number) {
  return {
    writeRequestsPerCommand: Math.round((counts.writeRequests / commands) * 100) / 100,
    writeItemsPerCommand: Math.round((counts.writeItems / commands) * 100) / 100,
    requests: counts.requests,
  }
}

function formatCpu(usage: CpuUsage): string {
  const parts = Object.entries(usage.cores).map(([name, cores]) => `${name} ${cores}`)
  const waiting = Object.entries(usage.waiting).map(([name, threads]) => `${name} ${threads}`)
  return (
    `cores used: ${parts.join(', ')}, machine ${usage.machineCores}, load average ${usage.loadAverage}; ` +
    `threads waiting for a core: ${waiting.join(', ')}`
  )
}

/** Starts the processes of one phase in order and stops them in reverse. */
async function startProcesses(
  roles: ServiceRole[],
  env: Record<string, string>,
  mode: string,
  phase: string,
): Promise<ServiceProcess[]> {
  const started: ServiceProcess[] = []
  try {
    for (const role of roles) {
      started.push(
        await startServiceProcess({
          role,
          env,
          cpuProfileDir: profileDir(mode, `${phase}-${role}`),
          nice: role === 'engine' ? backgroundNice : undefined,
        }),
      )
    }
  } catch (error) {
    await stopProcesses(started)
    throw error
  }
  return started
}

async function stopProcesses(processes: ServiceProcess[]): Promise<void> {
  for (const service of [...processes].reverse()) await service.stop()
}

function cpuPids(processes: ServiceProcess[], roles: ServiceRole[], setup: ModeSetup) {
  const pids: Record<string, number> = {}
  processes.forEach((service, i) => {
    pids[roles[i]] = service.pid
  })
  if (setup.dynalitePid !== undefined) pids.dynalite = setup.dynalitePid
  if (setup.brokerPid !== undefined) pids.broker = setup.brokerPid
  // autocannon and the drain's store probe run here.
  pids.bench = process.pid
  return pids
}

/**
 * Runs `work` with the load roles started, sampling their CPU, and stops
 * them after. Returns what `work` returned and what their stores sent.
 */
async function withLoadProcesses<T>(
  mode: string,
  setup: ModeSetup,
  phase: string,
  work: (url: string, sampler: CpuSampler) => Promise<T>,
): Promise<{ result: T, storeSent: StoreRequestCounts }> {
  const processes = await startProcesses(setup.loadRoles, setup.env, mode, phase)
  const sampler = sampleCpu(cpuPids(processes, setup.loadRoles, setup))

  try {
    const result = await work(processes.at(-1)!.url as string, sampler)
    sampler.stop()
    await stopProcesses(processes)
    return { result, storeSent: sumRequestCounts(processes.map((service) => storeSentBy(service))) }
  } catch (error) {
    if (!interrupted) {
      for (const service of processes) process.stderr.write(`service output:\n${service.output()}\n`)
    }
    throw error
  } finally {
    sampler.stop()
    await stopProcesses(processes)
  }
}

async function runLoad(mode: string, setup: ModeSetup) {
  const closedRun = await withLoadProcesses(mode, setup, 'closed', async (url, sampler) => {
    const probe = apiProbe(url)

    // Closed loop: as many orders as the API accepts over N connections.
    const closedStartMs = performance.now()
    const closed = await loadOrders({ url, connections, durationSec, seed: 1 })
    const closedCpu = sampler.usage(closedStartMs, performance.now())
    const closedApply = await waitApplied(probe, [...closed.lastIds.values()], APPLY_TIMEOUT_MS)
    print(
      `  closed loop, ${connections} connections, ${durationSec} s: ${closed.acceptedPerSec} accepted/s ` +
        `(p50 ${closed.latencyMs.p50} ms, p99 ${closed.latencyMs.p99} ms, non-2xx ${closed.non2xx}, ` +
        `errors ${closed.errors}); ` +
        `engine caught up ${(closedApply.lastMs / 1000).toFixed(1)} s after the load`,
    )
    print(`    ${formatCpu(closedCpu)}`)
    return { closed, closedCpu, closedApply }
  })
  const { closed, closedCpu, closedApply } = closedRun.result

  // The latency runs start on a fresh service.
  const { result: fixed } = await withLoadProcesses(mode, setup, 'rate', async (url, sampler) => {
    const probe = apiProbe(url)

    // Fixed offered rate, then a lower one when the first is not sustained.
    const runs: (LoadResult & { cpu: CpuUsage })[] = []
    const lowRate = lowRateOption ?? Math.max(10, Math.floor(closed.acceptedPerSec / 2))
    for (const offered of [rate, lowRate]) {
      const startMs = performance.now()
      const load = await loadOrders({ url, connections: 64, durationSec: rateDurationSec, overallRate: offered, seed: 2 })
      const cpu = sampler.usage(startMs, performance.now())
      await waitApplied(probe, [...load.lastIds.values()], APPLY_TIMEOUT_MS)
      runs.push({ ...load, cpu })
      print(
        `  fixed rate ${offered}/s, ${rateDurationSec} s: ${load.acceptedPerSec} accepted/s, ` +
          `p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms, max ${load.latencyMs.max} ms, ` +
          `non-2xx ${load.non2xx}, errors ${load.errors} (not in the latencies), ` +
          `largest send lag ${load.maxSendLagMs} ms`,
      )
      print(`    ${formatCpu(cpu)}`)
      if (load.acceptedPerSec >= offered * SUSTAINED_SHARE) break
    }
    return runs
  })

  return {
    closedLoop: {
      ...summarizeLoad(closed),
      engineCatchUpSec: Math.round(closedApply.lastMs / 100) / 10,
      cpu: closedCpu,
    },
    fixedRate: fixed.map((load) => ({ ...summarizeLoad(load), cpu: load.cpu })),
    sustainedRate: fixed[0].acceptedPerSec >= rate * SUSTAINED_SHARE ? rate : fixed[0].acceptedPerSec,
    closedLoopStoreWrites: perCommand(closedRun.storeSent, closed.accepted),
  }
}

async function runDrain(mode: string, setup: ModeSetup) {
  // Backlog: append straight to the log with no engine running, then time the drain.
  const log = setup.openLog()
  await log.ensure()
  const producer = log.producer()
  const backlog = await appendBacklog(producer, backlogCommands, 3)
  await producer.close()
  await log.close()
  print(`  appended ${backlog.commands} commands in ${backlog.appendSeconds.toFixed(1)} s`)

  const spawnStart = performance.now()
  const [service] = await startProcesses([setup.drainRole], setup.env, mode, 'drain')
  const sampler = sampleCpu(cpuPids([service], [setup.drainRole], setup))

  try {
    const readyMs = performance.now() - spawnStart
    const waitStart = performance.now()
    const drainProbe = setup.storeProbe ?? apiProbe(service.url as string)
    const drainTimeoutMs = Math.max(APPLY_TIMEOUT_MS, (backlog.commands / MIN_DRAIN_COMMANDS_PER_SEC) * 1000)
    const drain = await waitApplied(drainProbe, [...backlog.lastIds.values()], drainTimeoutMs, backlog.firstId)
    // From ready to the last command applied: the group join, the fetches
    // and the first batch count, unlike in the rate from the first command.
    const cpu = sampler.usage(waitStart, waitStart + drain.lastMs)

    const drainSeconds = (readyMs + drain.lastMs) / 1000
    const applySeconds = (drain.lastMs - (drain.firstMs ?? 0)) / 1000
    const engineCommandsPerSec = Math.round(backlog.commands / applySeconds)
    const readyCommandsPerSec = Math.round(backlog.commands / (drain.lastMs / 1000))
    const cpuMsPerCommand: Record<string, number> = {}
    for (const [name, cores] of Object.entries(cpu.cores)) {
      cpuMsPerCommand[name] = Math.round((cores * drain.lastMs * 1000) / backlog.commands) / 1000
    }
    print(
      `  backlog of ${backlog.commands}: drained ${drainSeconds.toFixed(1)} s after the ${setup.drainRole} role was ` +
        `started (ready after ${(readyMs / 1000).toFixed(1)} s); engine ${engineCommandsPerSec} commands/s ` +
        `from the first applied command to the last, ${readyCommandsPerSec} commands/s from ready to the last`,
    )
    print(`    ${formatCpu(cpu)}; CPU ms per command: ${JSON.stringify(cpuMsPerCommand)}`)

    // The drain role's store counts what it sent and logs it when it stops,
    // in both modes, including the writes of the stop itself.
    sampler.stop()
    await service.stop()
    const drainCounts = storeSentBy(service)
    print(`  store writes of the drain role, stop included: ${JSON.stringify(perCommand(drainCounts, backlog.commands))}`)

    return {
      backlog: {
        commands: backlog.commands,
        appendSec: Math.round(backlog.appendSeconds * 10) / 10,
        drainRole: setup.drainRole,
        drainSec: Math.round(drainSeconds * 10) / 10,
        roleReadySec: Math.round(readyMs / 100) / 10,
        engineCommandsPerSec,
        readyCommandsPerSec,
        cpu,
        cpuMsPerCommand,
      },
      /** Engine only: the drain appends commands without the API. */
      drainStoreWrites: perCommand(drainCounts, backlog.commands),
    }
  } catch (error) {
    if (!interrupted) process.stderr.write(`service output:\n${service.output()}\n`)
    throw error
  } finally {
    sampler.stop()
    await service.stop()
  }
}

/** Stops what the mode in progress started and removes its data directory. */
let cleanUp: (() => Promise<void>) | undefined
let interrupted = false

/** Runs the stops last first, each once, and goes on after one fails. */
async function runStops(stops: Stops): Promise<void> {
  for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) {
    try {
      await stop()
    } catch (error) {
      process.stderr.write(`cleanup step failed: ${(error as Error).message}\n`)
    }
  }
}

async function benchMode(mode: string) {
  const root = mkdtempSync(join(tmpdir(), `bench-service-${mode}-`))
  print(`\n${mode}: data under ${root}`)
  const stops: Stops = [async () => rmSync(root, { recursive: true, force: true })]
  // The end of the mode and an interrupt may both call it, so both wait for one run.
  let stopping: Promise<void> | undefined
  cleanUp = () => (stopping ??= runStops(stops))

  try {
    const setup = mode === 'embedded'
      ? await setUpEmbedded(root)
      : await setUpKafka(root, mode === 'kafka' ? ['engine', 'api'] : ['all'], stops)
    const load = values['drain-only'] ? undefined : await runLoad(mode, setup)
    const drain = await runDrain(mode, setup)
    return {
      mode,
      loadRoles: setup.loadRoles,
      closedLoop: load?.closedLoop ?? null,
      fixedRate: load?.fixedRate ?? [],
      sustainedRate: load?.sustainedRate ?? null,
      backlog: drain.backlog,
      storeWrites: {
        drain: drain.drainStoreWrites,
        /** Writes of the closed loop's processes per accepted order. Only the engine writes, the API only reads. */
        closedLoop: load?.closedLoopStoreWrites ?? null,
      },
      symbols: SYMBOLS.length,
    }
  } finally {
    await cleanUp()
    cleanUp = undefined
  }
}

// The broker runs in a session of its own, so an interrupt of this process
// group does not reach it, and a signal to this process alone reaches none
// of the others: stop them all here.
for (const [signal, exitCode] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    interrupted = true
    process.stderr.write(`${signal}: stopping the service processes, the broker and dynalite\n`)
    void stopServiceProcesses()
      .then(() => cleanUp?.())
      .finally(() => process.exit(exitCode))
  })
}

const results = []
try {
  for (const mode of modes) {
    results.push(await benchMode(mode))
  }
} catch (error) {
  // Work cut by an interrupt fails too. The signal handler stops everything and exits.
  if (interrupted) await new Promise(() => {})
  const message = (error as Error).message
  process.stderr.write(`bench failed: ${message}\n`)
  if (!message.includes('already in use')) {
    process.stderr.write(`${(error as Error).stack}\n`)
  } else {
    process.stderr.write(
      'An interrupted run may have left a broker or dynalite on ports 31000-31099: ' +
        'find it with `pgrep -fa "kafka|dynalite"` and stop it.\n',
    )
  }
  process.exit(1)
}
print(
  JSON.stringify({
    bench: 'service',
    node: process.version,
    partitions: PARTITIONS,
    backgroundNice: backgroundNice ?? null,
    modes: results,
  }),
)
