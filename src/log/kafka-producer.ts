/**
 * The Kafka side of CommandLogProducer: an idempotent producer with acks=all
 * that picks each record's partition with Kafka's default murmur2 partitioner.
 *
 * Appends are committed in groups. At most one Produce request is in flight.
 * Appends that arrive meanwhile wait in a FIFO queue, and the next request
 * carries as many of them as the count and byte bounds allow, across
 * partitions. One request per round trip keeps the order of each key, even
 * when the client retries a request, because nothing is sent after a request
 * until that request has settled.
 */

import { ProduceAcks, Producer } from '@platformatic/kafka'
import type { Logger } from 'pino'

import { KafkaLogTimeoutError, withDeadline } from './kafka-deadline.ts'
import { murmur2Partition } from './partitioner.ts'
import type { AppendResult, CommandLogProducer } from './types.ts'

export interface KafkaProducerOptions {
  bootstrapServers: string[]
  topic: string
  partitions: number
  clientId: string
  /** Bound on one append, from the append() call to its acknowledgement, in ms. */
  requestTimeoutMs: number
  logger: Logger
  /** Maximum number of appends in one Produce request (default 1000). */
  maxBatchRecords?: number
  /**
   * Maximum estimated size of the records in one Produce request, in bytes
   * (default 1,000,000). An append whose record alone is larger is rejected.
   */
  maxBatchBytes?: number
  /**
   * Time to wait before each Produce request, in ms (default 0). Appends that
   * arrive meanwhile share the request, so requests are fewer and larger and
   * each append is up to lingerMs later.
   */
  lingerMs?: number
}

// Retries inside the client for one Produce request. A refused connection
// fails fast, so against a stopped broker a request fails after about
// APPEND_RETRIES × APPEND_RETRY_DELAY_MS. A broker that accepts the
// connection but sends no response is cut off by requestTimeoutMs per attempt.
const APPEND_RETRIES = 3
const APPEND_RETRY_DELAY_MS = 250

const DEFAULT_MAX_BATCH_RECORDS = 1000
// The broker rejects a record batch (one partition's part of a request) over
// message.max.bytes, 1,048,588 bytes by default in Kafka 4.1.1. Keeping the
// whole request below it keeps every partition's batch below it.
const DEFAULT_MAX_BATCH_BYTES = 1_000_000
// Upper bound on a v2 record's framing beyond its key and value: length,
// attributes, timestamp delta, offset delta, key and value lengths and the
// header count, as varints.
const RECORD_OVERHEAD_BYTES = 32

type AppendState = 'queued' | 'sent' | 'settled'

interface PendingAppend {
  partition: number
  key: Buffer
  value: Buffer
  /** Estimated size of the record in the request, in bytes. */
  sizeBytes: number
  /** Queued until a request takes it, sent while that request is in flight. */
  state: AppendState
  deadline: NodeJS.Timeout | undefined
  resolve(result: AppendResult): void
  reject(error: Error): void
}

export class KafkaLogProducer implements CommandLogProducer {
  #producer: Producer
  #options: KafkaProducerOptions
  #logger: Logger
  #maxBatchRecords: number
  #maxBatchBytes: number
  #lingerMs: number
  #closed = false
  /** Appends not yet sent, in append order. A Set keeps insertion order and deletes in O(1). */
  #queue = new Set<PendingAppend>()
  /** The loop that sends the queue, one request at a time. It is undefined while idle. */
  #draining: Promise<void> | undefined

  constructor(options: KafkaProducerOptions) {
    this.#options = options
    this.#logger = options.logger
    this.#maxBatchRecords = positiveInteger('maxBatchRecords', options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS)
    this.#maxBatchBytes = positiveInteger('maxBatchBytes', options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES)
    this.#lingerMs = options.lingerMs ?? 0
    if (!Number.isSafeInteger(this.#lingerMs) || this.#lingerMs < 0) {
      throw new Error(
        `invalid Kafka producer options: lingerMs must be an integer of 0 or more (got ${String(options.lingerMs)})`,
      )
    }

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
   * Java producers and the embedded log agree on it. Resolves once the broker
   * has acknowledged the request that carried it. Rejects with
   * KafkaLogTimeoutError when that takes more than requestTimeoutMs from this
   * call, and with an error whose cause is the client's error when the
   * request fails.
   *
   * NOTE: after a timeout or a failed request the record may still be
   * appended, because a request in flight cannot be withdrawn. A caller that
   * retries can then append it twice. An append that times out while still
   * queued is dropped and never sent.
   */
  append(key: string, value: Buffer): Promise<AppendResult> {
    const { topic, partitions, requestTimeoutMs } = this.#options
    if (this.#closed) return Promise.reject(new Error('cannot append: the Kafka producer is closed'))

    const partition = murmur2Partition(key, partitions)
    const keyBytes = Buffer.from(key, 'utf8')
    const sizeBytes = keyBytes.length + value.length + RECORD_OVERHEAD_BYTES
    if (sizeBytes > this.#maxBatchBytes) {
      return Promise.reject(
        new Error(
          `cannot append to ${topic} partition ${partition}: the record of about ${sizeBytes} bytes ` +
            `exceeds maxBatchBytes (${this.#maxBatchBytes}). Send a smaller value or raise maxBatchBytes.`,
        ),
      )
    }

    const { promise, resolve, reject } = Promise.withResolvers<AppendResult>()
    const pending: PendingAppend = {
      partition,
      key: keyBytes,
      value,
      sizeBytes,
      state: 'queued',
      deadline: undefined,
      resolve,
      reject,
    }
    pending.deadline = setTimeout(() => this.#expire(pending), requestTimeoutMs)
    this.#queue.add(pending)
    this.#draining ??= this.#drain()
    return promise
  }

  /**
   * Stops accepting appends, waits up to requestTimeoutMs for the queued
   * ones to be sent, then closes the client.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const { clientId, requestTimeoutMs } = this.#options

    // Every queued append expires within requestTimeoutMs anyway, so this
    // wait only outlasts them while a request is still being retried.
    if (this.#draining !== undefined) {
      try {
        await withDeadline(this.#draining, requestTimeoutMs, 'sending the queued appends')
      } catch (error) {
        this.#logger.warn({ err: error, clientId }, 'kafka producer closing while a Produce request is in flight')
      }
    }

    try {
      await withDeadline(this.#producer.close(), requestTimeoutMs, 'closing the Kafka producer')
      this.#logger.info({ clientId }, 'kafka producer closed')
    } catch (error) {
      this.#logger.warn({ err: error, clientId }, 'kafka producer did not close cleanly')
    }
  }

  /** Sends the queue one request at a time until it is empty. Never rejects. */
  async #drain(): Promise<void> {
    // One turn of the event loop lets the appends of the I/O callbacks that
    // are already due join the first request.
    await new Promise<void>((resolve) => setImmediate(resolve))

    try {
      while (this.#queue.size > 0) {
        if (this.#lingerMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, this.#lingerMs))
        await this.#send(this.#takeBatch())
      }
    } finally {
      this.#draining = undefined
    }
  }

  /**
   * Takes appends from the head of the queue up to the bounds. It stops at
   * the first append that does not fit, instead of skipping it, so that no
   * append overtakes an earlier one of the same key.
   */
  #takeBatch(): PendingAppend[] {
    const batch: PendingAppend[] = []
    let batchBytes = 0

    for (const pending of this.#queue) {
      if (batch.length === this.#maxBatchRecords) break
      if (batch.length > 0 && batchBytes + pending.sizeBytes > this.#maxBatchBytes) break

      this.#queue.delete(pending)
      pending.state = 'sent'
      batch.push(pending)
      batchBytes += pending.sizeBytes
    }
    return batch
  }

  /**
   * Sends one batch and settles its appends. The broker gives the records of
   * one partition in a request consecutive offsets from the partition's base
   * offset, in the order of the messages, so the n-th append of a partition
   * in the batch gets base offset + n.
   */
  async #send(batch: PendingAppend[]): Promise<void> {
    const { topic } = this.#options
    const messages = batch.map((pending) => ({
      topic,
      partition: pending.partition,
      key: pending.key,
      value: pending.value,
    }))

    let baseOffsets: Map<number, bigint>
    try {
      const result = await this.#producer.send({ messages })
      baseOffsets = new Map()
      for (const entry of result.offsets ?? []) {
        if (entry.topic === topic) baseOffsets.set(entry.partition, entry.offset)
      }
    } catch (error) {
      // NOTE: the records may be in the log all the same. With several
      // brokers the client sends one request per leader and only one may have
      // failed, and a timed-out request can still reach the broker. The
      // client then starts over with a new producer id, so sequence numbers
      // no longer order such a late record before the next request's.
      const partitions = [...new Set(batch.map((pending) => pending.partition))]
      this.#logger.warn(
        { err: error, topic, partitions, appends: batch.length },
        'kafka Produce request failed, rejecting every append in it',
      )
      for (const pending of batch) {
        const failure = new Error(`append to ${topic} partition ${pending.partition} failed`, { cause: error })
        this.#reject(pending, failure)
      }
      return
    }

    const nextIndex = new Map<number, bigint>()
    let late = 0
    for (const pending of batch) {
      const { partition } = pending
      const index = nextIndex.get(partition) ?? 0n
      nextIndex.set(partition, index + 1n)
      if (pending.state === 'settled') late++

      const baseOffset = baseOffsets.get(partition)
      if (baseOffset === undefined) {
        this.#reject(pending, new Error(`append to ${topic} partition ${partition} returned no offset`))
      } else {
        this.#resolve(pending, { partition, offset: baseOffset + index })
      }
    }

    if (late > 0) {
      const partitions = [...baseOffsets.keys()]
      this.#logger.warn(
        { topic, partitions, appends: late },
        'kafka acknowledged appends that had already timed out, so their records are in the log',
      )
    }
  }

  #expire(pending: PendingAppend): void {
    const { topic, requestTimeoutMs } = this.#options
    if (pending.state === 'queued') this.#queue.delete(pending)

    const operation = `append to ${topic} partition ${pending.partition}`
    this.#reject(pending, new KafkaLogTimeoutError(operation, requestTimeoutMs))
  }

  #resolve(pending: PendingAppend, result: AppendResult): void {
    if (pending.state === 'settled') return
    pending.state = 'settled'
    clearTimeout(pending.deadline)
    pending.resolve(result)
  }

  #reject(pending: PendingAppend, error: Error): void {
    if (pending.state === 'settled') return
    pending.state = 'settled'
    clearTimeout(pending.deadline)
    pending.reject(error)
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`invalid Kafka producer options: ${name} must be a positive integer (got ${String(value)})`)
  }
  return value
}
