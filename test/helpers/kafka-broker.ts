/**
 * Runs a single-node Kafka broker for tests through scripts/kafka/kafka.sh.
 * When KAFKA_BOOTSTRAP_SERVERS is set, tests use that broker instead and
 * nothing is started or stopped.
 */

import { execFile } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

const SCRIPT = fileURLToPath(new URL('../../scripts/kafka/kafka.sh', import.meta.url))
// A cold Maven cache downloads about 40 jars; a warm one takes seconds.
const INSTALL_TIMEOUT_MS = 10 * 60_000
// kafka.sh bounds its own waits (60 s to start, 30 s + SIGKILL to stop).
const START_TIMEOUT_MS = 90_000
const STOP_TIMEOUT_MS = 60_000

export interface KafkaBrokerOptions {
  port: number
  controllerPort: number
  /** Broker state; wiped when the broker starts, so each run begins empty. */
  dataDir: string
  /**
   * Starts a broker of its own even when KAFKA_BOOTSTRAP_SERVERS is set, for
   * a test that stops the broker.
   */
  alwaysStart?: boolean
}

export interface KafkaBroker {
  bootstrapServers: string[]
  /** True when KAFKA_BOOTSTRAP_SERVERS named a broker that this helper did not start. */
  external: boolean
  /** Starts the broker again after stop(), keeping its data. */
  start(): Promise<void>
  /** Stops the broker (SIGTERM, then SIGKILL after a bound) and waits for it. */
  stop(): Promise<void>
}

export async function startKafka(options: KafkaBrokerOptions): Promise<KafkaBroker> {
  const external = process.env.KAFKA_BOOTSTRAP_SERVERS
  if (external !== undefined && external !== '' && options.alwaysStart !== true) {
    return {
      bootstrapServers: external.split(',').map((server) => server.trim()).filter(Boolean),
      external: true,
      start: async () => {},
      stop: async () => {},
    }
  }

  const env = scriptEnv(options)

  await kafkaScript('install', env, INSTALL_TIMEOUT_MS)
  // A broker left over from an interrupted run would hold the ports.
  await kafkaScript('stop', env, STOP_TIMEOUT_MS)
  await rm(options.dataDir, { recursive: true, force: true })
  await kafkaScript('start', env, START_TIMEOUT_MS)

  return {
    bootstrapServers: [`127.0.0.1:${options.port}`],
    external: false,
    start: () => kafkaScript('start', env, START_TIMEOUT_MS),
    stop: () => kafkaScript('stop', env, STOP_TIMEOUT_MS),
  }
}

/**
 * Stops the broker that startKafka() starts with these options, if one runs.
 * It also stops a broker whose start was interrupted, which startKafka()
 * never returned.
 */
export function stopKafka(options: KafkaBrokerOptions): Promise<void> {
  return kafkaScript('stop', scriptEnv(options), STOP_TIMEOUT_MS)
}

function scriptEnv(options: KafkaBrokerOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_PORT: String(options.port),
    KAFKA_CONTROLLER_PORT: String(options.controllerPort),
    KAFKA_DATA_DIR: options.dataDir,
  }
}

async function kafkaScript(command: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  try {
    await run('bash', [SCRIPT, command], { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    const failure = error as Error & { stderr?: string; stdout?: string }
    const output = [failure.stdout, failure.stderr].filter(Boolean).join('\n').trim()
    throw new Error(`scripts/kafka/kafka.sh ${command} failed: ${failure.message}\n${output}`, { cause: error })
  }
}
