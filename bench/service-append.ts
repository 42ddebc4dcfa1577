/**
 * Latency floor of the Kafka POST path, without the engine. Times appends
 * through KafkaLogProducer, one at a time and then paced at a few fixed
 * rates, then POSTs to the `api` role alone, one at a time and at the same
 * rates. Starts a broker (ports 31002/31003) and dynalite (31050-31059) of
 * its own on 127.0.0.1.
 *
 *   node bench/service-append.ts [--appends 500] [--rate 200 --rate 500 --rate 2000]
 *
 * The last line printed is a JSON summary.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { createKafkaLog } from '../src/log/kafka-log.ts'
import { startDynaliteProcess } from '../test/helpers/dynalite.ts'
import { startKafka } from '../test/helpers/kafka-broker.ts'
import { createOrderMix, SYMBOLS } from './order-mix.ts'
import { findProcess, sampleCpu } from './service-cpu.ts'
import { loadOrders } from './service-load.ts'
import { startServiceProcess } from './service-processes.ts'
import { percentileOfSorted } from './stats.ts'
import { parseOptions, positiveInteger } from './cli-args.ts'

const KAFKA_PORT = 31002
const KAFKA_CONTROLLER_PORT = 31003
const API_PORT = 31012
const DYNALITE_PORTS: [number, number] = [31050, 31059]
const TOPIC = 'bench.append'
const PARTITIONS = 3
/** Size of an encoded new-order command in bytes, an estimate. */
const VALUE_BYTES = 250

const { values } = parseOptions({
  appends: { type: 'string', default: '500' },
  rate: { type: 'string', multiple: true },
})
const appends = positiveInteger('appends', values.appends)
const rates = (values.rate ?? ['200', '500', '2000']).map((rate) => positiveInteger('rate', rate))

const logger = pino({ level: 'warn' })
const root = mkdtempSync(join(tmpdir(), 'bench-append-'))
const broker = await startKafka({
  port: KAFKA_PORT,
  controllerPort: KAFKA_CONTROLLER_PORT,
  dataDir: join(root, 'kafka'),
  alwaysStart: true,
})
const dynalite = await startDynaliteProcess({ ports: DYNALITE_PORTS, createTableMs: 0 })

interface Percentiles {
  p50: number
  p90: number
  p99: number
  max: number
}

function percentiles(latenciesMs: number[]): Percentiles {
  latenciesMs.sort((a, b) => a - b)
  const round = (value: number) => Math.round(value * 100) / 100
  return {
    p50: round(percentileOfSorted(latenciesMs, 50)),
    p90: round(percentileOfSorted(latenciesMs, 90)),
    p99: round(percentileOfSorted(latenciesMs, 99)),
    max: round(latenciesMs.at(-1)!),
  }
}

/**
 * Appends at `rate` per second for `durationSec`, starting each on its
 * schedule whether or not earlier ones have finished, so that a stall shows
 * in the latency of every append scheduled during it.
 */
async function pacedAppends(append: (key: string) => Promise<unknown>, rate: number, durationSec: number): Promise<number[]> {
  const intervalMs = 1000 / rate
  const total = rate * durationSec
  const latenciesMs: number[] = []
  const inFlight: Promise<unknown>[] = []
  const start = performance.now()

  for (let i = 0; i < total; i++) {
    const dueMs = start + i * intervalMs
    const waitMs = dueMs - performance.now()
    if (waitMs > 1) await sleep(waitMs)
    // A timer wakes up to 1 ms early or late. Latency counts from the due
    // time, or from the start when the append started early.
    const fromMs = Math.min(dueMs, performance.now())
    inFlight.push(append(SYMBOLS[i % SYMBOLS.length]).then(() => {
      latenciesMs.push(performance.now() - fromMs)
    }))
  }
  await Promise.all(inFlight)
  return latenciesMs
}

async function appendLatencies(): Promise<{ oneAtATimeMs: Percentiles, pacedMs: Record<number, Percentiles> }> {
  const log = createKafkaLog({
    bootstrapServers: broker.bootstrapServers,
    topic: TOPIC,
    partitions: PARTITIONS,
    clientId: 'bench-append',
    requestTimeoutMs: 10_000,
    logger,
  })
  await log.ensure()
  const producer = log.producer()
  const value = Buffer.alloc(VALUE_BYTES, 'x')

  try {
    // Warm-up: connections, metadata and the producer id.
    for (let i = 0; i < 50; i++) await producer.append(SYMBOLS[i % SYMBOLS.length], value)

    const latenciesMs: number[] = []
    for (let i = 0; i < appends; i++) {
      const start = performance.now()
      await producer.append(SYMBOLS[i % SYMBOLS.length], value)
      latenciesMs.push(performance.now() - start)
    }
    const oneAtATimeMs = percentiles(latenciesMs)
    console.log(`  append round trip, one at a time, ${appends} appends: ${JSON.stringify(oneAtATimeMs)} ms`)

    const pacedMs: Record<number, Percentiles> = {}
    for (const rate of rates) {
      pacedMs[rate] = percentiles(await pacedAppends((key) => producer.append(key, value), rate, 10))
      console.log(`  appends paced at ${rate}/s for 10 s: ${JSON.stringify(pacedMs[rate])} ms`)
    }
    return { oneAtATimeMs, pacedMs }
  } finally {
    await producer.close()
    await log.close()
  }
}

async function apiAlone() {
  const env = {
    PORT: String(API_PORT),
    KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers.join(','),
    KAFKA_TOPIC_ORDENES: TOPIC,
    KAFKA_PARTITIONS: String(PARTITIONS),
    AWS_ENDPOINT_URL: dynalite.endpoint,
    DATA_DIR: join(root, 'data'),
  }
  const api = await startServiceProcess({ role: 'api', env })
  const brokerPid = findProcess(['kafka.Kafka', join(root, 'kafka', 'server.properties')])
  const pids: Record<string, number> = { api: api.pid, bench: process.pid }
  if (brokerPid !== undefined) pids.broker = brokerPid

  try {
    const url = api.url as string
    await loadOrders({ url, connections: 16, durationSec: 3, overallRate: 500, seed: 9 })

    // One POST at a time over one keep-alive connection (fetch), as a floor.
    const nextOrder = createOrderMix(7)
    const postMs: number[] = []
    for (let i = 0; i < appends; i++) {
      const start = performance.now()
      const response = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(nextOrder()),
      })
      await response.arrayBuffer()
      if (response.status !== 202) throw new Error(`POST /orders returned ${response.status}`)
      postMs.push(performance.now() - start)
    }
    const oneAtATimeMs = percentiles(postMs)
    console.log(`  api alone, one POST at a time, ${appends} POSTs: ${JSON.stringify(oneAtATimeMs)} ms`)

    const results = []
    for (const rate of rates) {
      const sampler = sampleCpu(pids)
      const startMs = performance.now()
      const load = await loadOrders({ url, connections: 64, durationSec: 10, overallRate: rate, seed: rate })
      const cpu = sampler.usage(startMs, performance.now())
      sampler.stop()
      console.log(
        `  api alone at ${rate}/s: ${load.acceptedPerSec} accepted/s, p50 ${load.latencyMs.p50} ms, ` +
          `p99 ${load.latencyMs.p99} ms; cores ${JSON.stringify(cpu.cores)}, machine ${cpu.machineCores}, ` +
          `load average ${cpu.loadAverage}`,
      )
      results.push({ rate, acceptedPerSec: load.acceptedPerSec, latencyMs: load.latencyMs, cpu })
    }
    return { oneAtATimeMs, rates: results }
  } finally {
    await api.stop()
  }
}

try {
  const appendMs = await appendLatencies()
  const api = await apiAlone()
  console.log(JSON.stringify({ bench: 'service-append', node: process.version, appendMs, api }))
} finally {
  await dynalite.stop()
  await broker.stop()
  rmSync(root, { recursive: true, force: true })
}
