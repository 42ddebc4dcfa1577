/**
 * The Kafka side of CommandLogProducer: an idempotent producer with acks=all
 * that picks each record's partition with Kafka's default murmur2 partitioner.
 */

import { ProduceAcks, Producer } from '@platformatic/kafka'
import type { Logger } from 'pino'

import { withDeadline } from './kafka-deadline.ts'
import { murmur2Partition } from './partitioner.ts'
import type { AppendResult, CommandLogProducer } from './types.ts'

export interface KafkaProducerOptions {
  bootstrapServers: string[]
  topic: string
  partitions: number
  clientId: string
  requestTimeoutMs: number
  logger: Logger
}

// Retries inside the client for one append. A refused connection fails fast,
// so against a stopped broker the append fails after about
// APPEND_RETRIES × APPEND_RETRY_DELAY_MS. A broker that accepts the
// connection but sends no response is cut off by requestTimeoutMs.
const APPEND_RETRIES = 3
const APPEND_RETRY_DELAY_MS = 250

export class KafkaLogProducer implements CommandLogProducer {
  #producer: Producer
  #options: KafkaProducerOptions
  #logger: Logger
  #closed = false

  constructor(options: KafkaProducerOptions) {
    this.#options = options
    this.#logger = options.logger
    this.#producer = new Producer({
      clientId: options.clientId,
      bootstrapBrokers: options.bootstrapServers,
      idempotent: true,
      acks: ProduceAcks.ALL,
      timeout: options.requestTimeoutMs,
      connectTimeout: options.requestTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      retries: APPEND_RETRIES,
      retryDelay: APPEND_RETRY_DELAY_MS,
      autocreateTopics: false,
    })
  }

  /**
   * Appends one record to the partition that murmur2 picks for `key`, so that
   * Java producers and the embedded log agree on it. Rejects with
   * KafkaLogTimeoutError after requestTimeoutMs.
   *
   * NOTE: after a timeout the record may still be appended, because the
   * request cannot be withdrawn; a caller that retries can append it twice.
   */
  async append(key: string, value: Buffer): Promise<AppendResult> {
    if (this.#closed) throw new Error('cannot append: the Kafka producer is closed')

    const { topic, partitions, requestTimeoutMs } = this.#options
    const partition = murmur2Partition(key, partitions)
    const send = this.#producer.send({
      messages: [{ topic, partition, key: Buffer.from(key, 'utf8'), value }],
    })

    const result = await withDeadline(send, requestTimeoutMs, `append to ${topic} partition ${partition}`)

    const written = result.offsets?.find((entry) => entry.topic === topic && entry.partition === partition)
    if (written === undefined) {
      throw new Error(`append to ${topic} partition ${partition} returned no offset`)
    }
    return { partition, offset: written.offset }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true

    try {
      await withDeadline(this.#producer.close(), this.#options.requestTimeoutMs, 'closing the Kafka producer')
      this.#logger.info({ clientId: this.#options.clientId }, 'kafka producer closed')
    } catch (error) {
      this.#logger.warn({ err: error, clientId: this.#options.clientId }, 'kafka producer did not close cleanly')
    }
  }
}
