/**
 * The command log on Apache Kafka: one topic, keyed by symbol, read by a
 * consumer group. See kafka-producer.ts for appends and kafka-consumer.ts for
 * how partitions are assigned, read and revoked.
 */

import { Admin, findErrorBy } from '@platformatic/kafka'
import type { ClusterMetadata } from '@platformatic/kafka'
import type { Logger } from 'pino'

import { sleep, withDeadline } from './kafka-deadline.ts'
import { KafkaLogConsumer } from './kafka-consumer.ts'
import { KafkaLogProducer } from './kafka-producer.ts'
import type { CommandLog, CommandLogConsumer, CommandLogProducer } from './types.ts'

export interface KafkaLogOptions {
  /** `host:port` of one or more brokers. */
  bootstrapServers: string[]
  topic: string
  partitions: number
  clientId: string
  /** Bound on one append, commit, metadata request or topic creation, in ms. */
  requestTimeoutMs: number
  logger: Logger
  /** Replicas of each partition when ensure() creates the topic (default 1). */
  replicationFactor?: number
  /** The broker drops a consumer without heartbeats for this long, in ms (default 10000). */
  sessionTimeoutMs?: number
  /** Interval between consumer heartbeats, in ms (default 1000). */
  heartbeatIntervalMs?: number
  /**
   * Maximum time a rebalance waits for members to rejoin, in ms (default
   * 60000). A member first finishes its `records` call and runs `revoked`,
   * so this bounds that work too.
   */
  rebalanceTimeoutMs?: number
  /** Maximum time a Fetch waits on the broker for a new record, in ms (default 1000). */
  fetchMaxWaitMs?: number
  /** Maximum record data read from a partition by one Fetch, in bytes (default 1 MiB). */
  fetchMaxBytes?: number
  /** Maximum number of records in one PartitionHandler.records call (default 500). */
  maxBatchRecords?: number
  /** Time a producer waits before each Produce request, in ms (default 0), as KafkaProducerOptions.lingerMs describes. */
  producerLingerMs?: number
}

/** Creates the Kafka command log; nothing connects until a method is called. */
export function createKafkaLog(options: KafkaLogOptions): CommandLog {
  return new KafkaLog(options)
}

type ResolvedOptions = Required<KafkaLogOptions>

export class KafkaLog implements CommandLog {
  readonly partitions: number
  #options: ResolvedOptions
  #logger: Logger
  #admin: Admin
  #producers = new Set<KafkaLogProducer>()
  #consumers = new Set<KafkaLogConsumer>()

  constructor(options: KafkaLogOptions) {
    this.#options = resolveOptions(options)
    this.partitions = this.#options.partitions
    this.#logger = options.logger.child({ topic: options.topic })
    this.#admin = new Admin({
      clientId: `${options.clientId}-admin`,
      bootstrapBrokers: options.bootstrapServers,
      timeout: this.#options.requestTimeoutMs,
      connectTimeout: this.#options.requestTimeoutMs,
      requestTimeout: this.#options.requestTimeoutMs,
      retries: 1,
      retryDelay: 250,
    })
  }

  /**
   * Creates the topic with `partitions` partitions when it is absent and
   * waits until every partition has a leader. Rejects when the topic exists
   * with another partition count, because keys would then map to other
   * partitions than the configuration promises.
   */
  async ensure(): Promise<void> {
    const { topic, partitions, replicationFactor, requestTimeoutMs } = this.#options

    let existing = await this.#describe()
    if (existing === undefined) {
      this.#logger.info({ partitions, replicationFactor }, 'creating topic')
      try {
        await withDeadline(
          this.#admin.createTopics({ topics: [topic], partitions, replicas: replicationFactor }),
          requestTimeoutMs,
          `creating topic ${topic}`,
        )
      } catch (error) {
        // Another process may have created it between describe and create.
        if (!isAlreadyExists(error)) throw error
        this.#logger.info('topic was created concurrently')
      }
      existing = await this.#waitForLeaders()
    }

    if (existing.partitionsCount !== partitions) {
      throw new Error(
        `topic ${topic} has ${existing.partitionsCount} partitions but KAFKA_PARTITIONS is ${partitions}; ` +
          'use the same count, or a new topic, so that each symbol keeps its partition',
      )
    }
    this.#logger.info({ partitions }, 'topic ready')
  }

  producer(): CommandLogProducer {
    const { bootstrapServers, topic, partitions, clientId, requestTimeoutMs, producerLingerMs } = this.#options
    const producer = new KafkaLogProducer({
      bootstrapServers,
      topic,
      partitions,
      clientId: `${clientId}-producer`,
      requestTimeoutMs,
      lingerMs: producerLingerMs,
      logger: this.#logger,
    })
    this.#producers.add(producer)
    return producer
  }

  consumer(groupId: string): CommandLogConsumer {
    const options = this.#options
    const consumer = new KafkaLogConsumer({
      bootstrapServers: options.bootstrapServers,
      topic: options.topic,
      clientId: `${options.clientId}-consumer`,
      groupId,
      requestTimeoutMs: options.requestTimeoutMs,
      sessionTimeoutMs: options.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs,
      fetchMaxWaitMs: options.fetchMaxWaitMs,
      fetchMaxBytes: options.fetchMaxBytes,
      maxBatchRecords: options.maxBatchRecords,
      logger: this.#logger,
    })
    this.#consumers.add(consumer)
    return consumer
  }

  /**
   * Sends a Metadata request for the topic. Rejects after requestTimeoutMs,
   * when the topic is missing, or when a partition has no leader.
   */
  async ping(): Promise<void> {
    const { topic, requestTimeoutMs } = this.#options
    const metadata = await withDeadline(
      this.#admin.metadata({ topics: [topic], forceUpdate: true }),
      requestTimeoutMs,
      `metadata request for ${topic}`,
    )

    const topicMetadata = metadata.topics.get(topic)
    if (topicMetadata === undefined) throw new Error(`topic ${topic} not found`)

    const leaderless = topicMetadata.partitions.findIndex((partition) => partition.leader < 0)
    if (leaderless >= 0) throw new Error(`topic ${topic} partition ${leaderless} has no leader`)
  }

  /** Closes every producer and consumer made by this log, then the admin client. */
  async close(): Promise<void> {
    await Promise.all([...this.#consumers].map((consumer) => consumer.close()))
    await Promise.all([...this.#producers].map((producer) => producer.close()))
    this.#consumers.clear()
    this.#producers.clear()

    try {
      await withDeadline(this.#admin.close(), this.#options.requestTimeoutMs, 'closing the Kafka admin client')
    } catch (error) {
      this.#logger.warn({ err: error }, 'kafka admin client did not close cleanly')
    }
  }

  /** Returns the topic's metadata, or undefined when the topic does not exist. */
  async #describe(): Promise<TopicMetadata | undefined> {
    const { topic, requestTimeoutMs } = this.#options
    try {
      const metadata = await withDeadline(
        this.#admin.metadata({ topics: [topic], forceUpdate: true }),
        requestTimeoutMs,
        `metadata request for ${topic}`,
      )
      return metadata.topics.get(topic)
    } catch (error) {
      if (isUnknownTopic(error)) return undefined
      throw error
    }
  }

  /**
   * Polls metadata until the new topic is visible with a leader for every
   * partition, because the controller creates partitions asynchronously.
   */
  async #waitForLeaders(): Promise<TopicMetadata> {
    const { topic, requestTimeoutMs } = this.#options
    const deadline = Date.now() + requestTimeoutMs

    while (true) {
      const described = await this.#describe()
      const ready = described !== undefined && described.partitions.every((partition) => partition.leader >= 0)
      if (ready) return described
      if (Date.now() >= deadline) {
        throw new Error(
          `topic ${topic} still has partitions without a leader ${requestTimeoutMs} ms after creation; ` +
            'check the broker log',
        )
      }
      await sleep(100)
    }
  }
}

type TopicMetadata = NonNullable<ReturnType<ClusterMetadata['topics']['get']>>

function resolveOptions(options: KafkaLogOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    replicationFactor: 1,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    rebalanceTimeoutMs: 60_000,
    fetchMaxWaitMs: 1_000,
    fetchMaxBytes: 1024 * 1024,
    maxBatchRecords: 500,
    producerLingerMs: 0,
    ...withoutUndefined(options),
  }

  const problems: string[] = []
  if (resolved.bootstrapServers.length === 0) problems.push('bootstrapServers is empty')
  if (resolved.topic === '') problems.push('topic is empty')
  const positiveIntegers: (keyof ResolvedOptions)[] = [
    'partitions',
    'replicationFactor',
    'requestTimeoutMs',
    'sessionTimeoutMs',
    'heartbeatIntervalMs',
    'rebalanceTimeoutMs',
    'fetchMaxWaitMs',
    'fetchMaxBytes',
    'maxBatchRecords',
  ]
  for (const name of positiveIntegers) {
    const value = resolved[name]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      problems.push(`${name} must be a positive integer (got ${String(value)})`)
    }
  }
  if (resolved.heartbeatIntervalMs >= resolved.sessionTimeoutMs) {
    problems.push('heartbeatIntervalMs must be below sessionTimeoutMs')
  }
  if (resolved.rebalanceTimeoutMs < resolved.sessionTimeoutMs) {
    problems.push('rebalanceTimeoutMs must be at least sessionTimeoutMs')
  }

  if (problems.length > 0) throw new Error(`invalid Kafka log options: ${problems.join('; ')}`)
  return resolved
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T
}

function isUnknownTopic(error: unknown): boolean {
  return error instanceof Error && /unknown topic/i.test(error.message)
}

function isAlreadyExists(error: unknown): boolean {
  return error instanceof Error && findErrorBy(error, 'apiId', 'TOPIC_ALREADY_EXISTS') !== null
}
