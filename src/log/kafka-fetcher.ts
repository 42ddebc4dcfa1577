/**
 * Reads one partition from a given offset with Fetch requests, outside any
 * consumer group. @platformatic/kafka's MessagesStream reads every partition
 * that the group assigns, from the committed or latest offset, so it cannot
 * start a partition at the offset that PartitionHandler.assigned returns;
 * Consumer.fetch can, and KafkaLogConsumer runs one PartitionFetcher for each
 * partition that it owns.
 *
 * Each fetcher has its own client and so its own connection. A long-polling
 * Fetch blocks its connection until the broker responds, and partitions must
 * not wait on each other or on the group's heartbeats.
 */

import { Consumer, findErrorBy, IS_CONTROL } from '@platformatic/kafka'
import type { fetchV17 } from '@platformatic/kafka'
import type { Logger } from 'pino'

import { backoffMs, sleep, withDeadline } from './kafka-deadline.ts'
import type { LogRecord } from './types.ts'

export interface PartitionFetcherOptions {
  bootstrapServers: string[]
  clientId: string
  topic: string
  partition: number
  requestTimeoutMs: number
  /** Maximum time the broker keeps a Fetch open while the partition has no new record, in ms. */
  maxWaitMs: number
  /** Maximum record data returned by one Fetch, in bytes. */
  maxBytes: number
  logger: Logger
}

export interface FetchedRecords {
  records: LogRecord[]
  /** Offset to fetch next: one past the last record or control marker returned. */
  nextOffset: bigint
}

/**
 * A fetch that can never succeed, such as an offset before the log start
 * (removed by retention) or past the log end (a snapshot newer than the log).
 */
export class FetchOffsetOutOfRangeError extends Error {
  readonly partition: number
  readonly offset: bigint

  constructor(topic: string, partition: number, offset: bigint, cause: unknown) {
    super(
      `offset ${offset} of ${topic} partition ${partition} is out of range: ` +
        'the records were removed by retention or the topic was recreated; ' +
        'restore the snapshot that matches this log or reset it',
      { cause },
    )
    this.name = 'FetchOffsetOutOfRangeError'
    this.partition = partition
    this.offset = offset
  }
}

// The client's own retries are off because the loop in fetch() retries with
// its own backoff and logs every attempt.
const CLIENT_RETRIES = 0

export class PartitionFetcher {
  #client: Consumer
  #options: PartitionFetcherOptions
  #logger: Logger

  constructor(options: PartitionFetcherOptions) {
    this.#options = options
    this.#logger = options.logger
    this.#client = new Consumer({
      clientId: options.clientId,
      bootstrapBrokers: options.bootstrapServers,
      // Required by the client, although this consumer never joins a group or commits.
      groupId: `${options.clientId}-fetch`,
      autocommit: false,
      connectTimeout: options.requestTimeoutMs,
      // A Fetch legitimately stays open for up to maxWaitMs.
      requestTimeout: options.maxWaitMs + options.requestTimeoutMs,
      retries: CLIENT_RETRIES,
    })
    this.#client.topics.track(options.topic)
  }

  /**
   * Fetches the records at and after `offset`. Retries transient failures
   * (broker down, leader moving) with backoff until it succeeds or `signal`
   * aborts, and resolves null on abort. Rejects only with
   * FetchOffsetOutOfRangeError.
   */
  async fetch(offset: bigint, signal: AbortSignal): Promise<FetchedRecords | null> {
    const { topic, partition } = this.#options
    let failures = 0

    while (!signal.aborted) {
      try {
        const response = await this.#fetchOnce(offset, signal)
        if (response === null) return null
        if (failures > 0) {
          this.#logger.info({ topic, partition, offset, failures }, 'fetch recovered')
        }
        return toRecords(response, partition, offset)
      } catch (error) {
        if (findErrorBy(error as Error, 'apiId', 'OFFSET_OUT_OF_RANGE') !== null) {
          throw new FetchOffsetOutOfRangeError(topic, partition, offset, error)
        }

        failures++
        const delayMs = backoffMs(failures)
        this.#logger.warn({ err: error, topic, partition, offset, failures, delayMs }, 'fetch failed, retrying after a delay')
        this.#client.clearMetadata()
        await sleep(delayMs, signal)
      }
    }
    return null
  }

  async close(): Promise<void> {
    try {
      await withDeadline(this.#client.close(true), this.#options.requestTimeoutMs, 'closing a partition fetcher')
    } catch (error) {
      this.#logger.warn(
        { err: error, topic: this.#options.topic, partition: this.#options.partition },
        'partition fetcher did not close cleanly',
      )
    }
  }

  async #fetchOnce(offset: bigint, signal: AbortSignal): Promise<fetchV17.FetchResponse | null> {
    const { topic, partition, maxWaitMs, maxBytes, requestTimeoutMs } = this.#options

    const metadata = await withDeadline(
      this.#client.metadata({ topics: [topic] }),
      requestTimeoutMs,
      `metadata of ${topic}`,
    )
    const topicMetadata = metadata.topics.get(topic)
    const leader = topicMetadata?.partitions[partition]?.leader
    if (topicMetadata === undefined || leader === undefined || leader < 0) {
      throw new Error(`${topic} partition ${partition} has no leader in the cluster metadata`)
    }

    const request = this.#client.fetch({
      node: leader,
      maxWaitTime: maxWaitMs,
      minBytes: 1,
      maxBytes,
      topics: [
        {
          topicId: topicMetadata.id,
          partitions: [
            {
              partition,
              fetchOffset: offset,
              partitionMaxBytes: maxBytes,
              // -1 skips leader-epoch fencing, which would need the epoch of
              // every fetched batch to be tracked.
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
    })

    return await raceAbort(request, signal)
  }
}

/** Settles like `promise`, or resolves null as soon as `signal` aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.resolve(null)
  }

  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => {})
      resolve(null)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * Converts the partition's batches into LogRecords. A compressed batch can
 * start before the requested offset, so earlier records are skipped. Control
 * batches (transaction markers) carry no command but still advance the offset.
 */
function toRecords(response: fetchV17.FetchResponse, partition: number, offset: bigint): FetchedRecords {
  const records: LogRecord[] = []
  let nextOffset = offset

  for (const topicResponse of response.responses) {
    for (const partitionResponse of topicResponse.partitions) {
      if (partitionResponse.partitionIndex !== partition) continue

      for (const batch of partitionResponse.records ?? []) {
        const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
        if (batchEnd > nextOffset) nextOffset = batchEnd
        if ((batch.attributes & IS_CONTROL) !== 0) continue

        for (const record of batch.records) {
          const recordOffset = batch.firstOffset + BigInt(record.offsetDelta)
          if (recordOffset < offset) continue

          records.push({
            partition,
            offset: recordOffset,
            key: record.key?.toString('utf8') ?? '',
            value: record.value ?? Buffer.alloc(0),
            timestampMs: Number(batch.firstTimestamp + record.timestampDelta),
          })
        }
      }
    }
  }

  return { records, nextOffset }
}
