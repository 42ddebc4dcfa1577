/**
 * The Kafka side of CommandLogConsumer. Group membership (JoinGroup,
 * SyncGroup, heartbeats, LeaveGroup) is left to @platformatic/kafka's
 * Consumer with the classic protocol and its eager round-robin assignor.
 * Reading is done by one PartitionFetcher per owned partition. It starts at
 * the offset that PartitionHandler.assigned returns, never at the committed
 * offset.
 *
 * Revocation: the client calls the `protocolsMetadata` hook before every
 * JoinGroup, so the hook is where this consumer gives up its partitions. It
 * stops each partition, waits for the `records` call in flight, calls
 * `revoked` and only then lets the client rejoin. Under the eager protocol a
 * rebalance can move any partition, so every rebalance revokes all of them
 * and assigns them again afterwards.
 *
 * Lost membership: when no heartbeat has succeeded for most of the session
 * timeout, the broker is about to hand the partitions to another member, so
 * the consumer revokes them at once and keeps trying to rejoin. The client's
 * own `consumer:heartbeat:stalled` event is not used for this because it
 * starts counting only after the first failed heartbeat, including that
 * heartbeat's retries, and so can fire after the session has expired.
 */

import { Consumer } from '@platformatic/kafka'
import type { ConsumerGroupJoinPayload, GroupAssignment } from '@platformatic/kafka'
import type { Logger } from 'pino'

import { backoffMs, sleep, withDeadline } from './kafka-deadline.ts'
import { FetchOffsetOutOfRangeError, PartitionFetcher, type FetchedRecords } from './kafka-fetcher.ts'
import type { CommandLogConsumer, PartitionHandler } from './types.ts'

export interface KafkaConsumerOptions {
  bootstrapServers: string[]
  topic: string
  clientId: string
  groupId: string
  /** Bound on one commit, metadata request or LeaveGroup, in ms. */
  requestTimeoutMs: number
  /** The broker drops a member that sends no heartbeat for this long, in ms. */
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  /** Maximum time the group waits for members to rejoin, and so for revocation, in ms. */
  rebalanceTimeoutMs: number
  fetchMaxWaitMs: number
  fetchMaxBytes: number
  /** Maximum number of records in one PartitionHandler.records call. */
  maxBatchRecords: number
  logger: Logger
}

type ConsumerState = 'idle' | 'running' | 'closing' | 'closed'

interface OwnedPartition {
  partition: number
  /** Aborts when the partition is being revoked. */
  stop: AbortController
  fetcher: PartitionFetcher
  /** True after `assigned` resolved and until `revoked` is called. */
  handlerAssigned: boolean
  /** Consecutive handler failures, reset by every successful `records` call. */
  failures: number
  /** Read loop, which never rejects. */
  loop: Promise<void>
  /** Set once revocation starts, so that it runs only once. */
  release?: Promise<void>
}

interface FetchFailure {
  error: unknown
}

export class KafkaLogConsumer implements CommandLogConsumer {
  #options: KafkaConsumerOptions
  #logger: Logger
  #group: Consumer
  #state: ConsumerState = 'idle'
  #handler: PartitionHandler | undefined
  #owned = new Map<number, OwnedPartition>()
  #done = Promise.withResolvers<void>()
  #failure: unknown
  #closing: Promise<void> | undefined
  #rejoinTimer: NodeJS.Timeout | undefined
  #rejoinFailures = 0
  #watchdog: NodeJS.Timeout | undefined
  /** Time of the last successful JoinGroup/SyncGroup, in ms since the epoch. */
  #joinedAtMs = 0

  constructor(options: KafkaConsumerOptions) {
    this.#options = options
    this.#logger = options.logger.child({ groupId: options.groupId })

    this.#group = new Consumer({
      clientId: options.clientId,
      bootstrapBrokers: options.bootstrapServers,
      groupId: options.groupId,
      autocommit: false,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      connectTimeout: options.requestTimeoutMs,
      // The broker sends the JoinGroup response only when the rebalance completes.
      requestTimeout: options.rebalanceTimeoutMs + options.requestTimeoutMs,
      protocolsMetadata: () => this.#beforeJoin(),
    })

    this.#group.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => this.#onJoin(payload))
    this.#group.on('consumer:group:rebalance', () => this.#logger.info('consumer group is rebalancing'))
    // The client emits `error` when a rejoin after a rebalance failed. It
    // sends no more heartbeats after that, so the membership is gone.
    this.#group.on('error', (error: Error) => this.#onMembershipLost('rejoining the group failed', error))
  }

  /**
   * Joins the group and delivers records until close(). Resolves after
   * close() has revoked every partition and left the group; rejects when a
   * partition cannot be read at all (FetchOffsetOutOfRangeError).
   */
  run(handler: PartitionHandler): Promise<void> {
    if (this.#state !== 'idle') {
      return Promise.reject(new Error(`cannot run the Kafka consumer: it is ${this.#state}`))
    }

    this.#state = 'running'
    this.#handler = handler
    this.#group.topics.track(this.#options.topic)
    // A partition held by a member that crashed moves only once its session
    // times out, so a restarted engine may wait that long after this line.
    this.#logger.info({ sessionTimeoutMs: this.#options.sessionTimeoutMs }, 'kafka consumer starting')
    this.#watchdog = setInterval(() => this.#checkHeartbeats(), this.#options.heartbeatIntervalMs)
    this.#watchdog.unref()
    void this.#join()
    return this.#done.promise
  }

  /**
   * Commits `nextOffset` for the group. Only a partition that this consumer
   * owns can be committed, including from within `revoked`.
   */
  async commit(partition: number, nextOffset: bigint): Promise<void> {
    const { topic, requestTimeoutMs } = this.#options
    if (this.#state !== 'running' && this.#state !== 'closing') {
      throw new Error(`cannot commit ${topic} partition ${partition}: the consumer is ${this.#state}`)
    }
    if (!this.#owned.has(partition)) {
      throw new Error(`cannot commit ${topic} partition ${partition}: it is not assigned to this consumer`)
    }

    // NOTE: when the commit fails because the group moved on, the client
    // rejoins and commits again under the new generation, even for a
    // partition that is no longer owned. The deadline keeps that from
    // blocking the caller, but the late commit can still land.
    const commit = this.#group.commit({
      offsets: [{ topic, partition, offset: nextOffset, leaderEpoch: -1 }],
    })
    await withDeadline(commit, requestTimeoutMs, `commit of ${topic} partition ${partition}`)
  }

  /** Revokes every partition, leaves the group and closes the connections. */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#state = 'closing'
    clearTimeout(this.#rejoinTimer)
    clearInterval(this.#watchdog)
    this.#logger.info('kafka consumer closing')

    await this.#releaseAll()

    try {
      await withDeadline(this.#group.close(true), this.#options.requestTimeoutMs, 'leaving the consumer group')
    } catch (error) {
      this.#logger.warn({ err: error }, 'kafka consumer did not leave the group cleanly')
    }

    this.#state = 'closed'
    this.#logger.info('kafka consumer closed')
    if (this.#failure === undefined) {
      this.#done.resolve()
    } else {
      this.#done.reject(this.#failure)
    }
  }

  async #join(): Promise<void> {
    if (this.#state !== 'running') return

    try {
      const memberId = await this.#group.joinGroup({})
      this.#rejoinFailures = 0
      this.#logger.info({ memberId }, 'joined consumer group')
    } catch (error) {
      if (this.#state !== 'running') return
      this.#rejoinFailures++
      this.#logger.warn({ err: error, failures: this.#rejoinFailures }, 'joining the consumer group failed')
      this.#scheduleRejoin()
    }
  }

  #scheduleRejoin(): void {
    if (this.#state !== 'running' || this.#rejoinTimer !== undefined) return

    const delayMs = backoffMs(Math.max(1, this.#rejoinFailures))
    this.#logger.info({ delayMs }, 'rejoining the consumer group after a delay')
    this.#rejoinTimer = setTimeout(() => {
      this.#rejoinTimer = undefined
      void this.#join()
    }, delayMs)
  }

  /** Runs before every JoinGroup: the last moment to give partitions up. */
  async #beforeJoin(): Promise<Buffer> {
    await this.#releaseAll()
    return Buffer.alloc(0)
  }

  #onJoin(payload: ConsumerGroupJoinPayload): void {
    if (this.#state !== 'running') return

    this.#joinedAtMs = Date.now()
    const assigned = new Set(findPartitions(payload.assignments, this.#options.topic))
    this.#logger.info(
      { memberId: payload.memberId, generationId: payload.generationId, partitions: [...assigned] },
      'partitions assigned by the group',
    )

    for (const owned of this.#owned.values()) {
      if (!assigned.has(owned.partition)) void this.#release(owned)
    }
    for (const partition of assigned) {
      if (!this.#owned.has(partition)) this.#start(partition)
    }
  }

  /**
   * Revokes everything when the last heartbeat success is older than the
   * session timeout less one heartbeat interval. Checked once an interval, so
   * it acts at most one session timeout after the last success.
   */
  #checkHeartbeats(): void {
    const { sessionTimeoutMs, heartbeatIntervalMs } = this.#options
    const active = [...this.#owned.values()].some((owned) => owned.release === undefined)
    if (!active) return

    const lastSuccessMs = Math.max(this.#joinedAtMs, this.#group.lastHeartbeat?.getTime() ?? 0)
    const silentMs = Date.now() - lastSuccessMs
    if (silentMs > sessionTimeoutMs - heartbeatIntervalMs) {
      this.#onMembershipLost(`no successful heartbeat for ${silentMs} ms`)
    }
  }

  #onMembershipLost(reason: string, error?: unknown): void {
    if (this.#state !== 'running') return

    this.#logger.warn(
      { err: error, partitions: [...this.#owned.keys()] },
      `${reason}, so revoking all partitions before the broker reassigns them`,
    )
    void this.#releaseAll().then(() => {
      this.#rejoinFailures++
      this.#scheduleRejoin()
    })
  }

  #start(partition: number): void {
    const { bootstrapServers, clientId, topic, requestTimeoutMs, fetchMaxWaitMs, fetchMaxBytes } = this.#options
    const fetcher = new PartitionFetcher({
      bootstrapServers,
      clientId: `${clientId}-p${partition}`,
      topic,
      partition,
      requestTimeoutMs,
      maxWaitMs: fetchMaxWaitMs,
      maxBytes: fetchMaxBytes,
      logger: this.#logger,
    })

    const owned: OwnedPartition = {
      partition,
      stop: new AbortController(),
      fetcher,
      handlerAssigned: false,
      failures: 0,
      loop: Promise.resolve(),
    }
    this.#owned.set(partition, owned)
    owned.loop = this.#runPartition(owned)
  }

  /**
   * Stops a partition: no batch starts after this, the batch in flight
   * finishes, then `revoked` runs. Resolves when the partition is released.
   */
  #release(owned: OwnedPartition): Promise<void> {
    owned.release ??= this.#performRelease(owned)
    return owned.release
  }

  async #performRelease(owned: OwnedPartition): Promise<void> {
    const { partition } = owned
    owned.stop.abort()
    await owned.loop

    if (owned.handlerAssigned) {
      owned.handlerAssigned = false
      try {
        await this.#handler?.revoked(partition)
      } catch (error) {
        this.#logger.error({ err: error, partition }, 'revoked handler failed')
      }
    }

    await owned.fetcher.close()
    if (this.#owned.get(partition) === owned) this.#owned.delete(partition)
    this.#logger.info({ partition }, 'partition revoked')
  }

  async #releaseAll(): Promise<void> {
    await Promise.all([...this.#owned.values()].map((owned) => this.#release(owned)))
  }

  /** Returns the offset after the partition's last record (its high watermark), from a ListOffsets request. */
  async #endOffset(partition: number): Promise<bigint> {
    const topic = this.#options.topic
    const offsets = await withDeadline(
      this.#group.listOffsets({ topics: [topic], partitions: { [topic]: [partition] } }),
      this.#options.requestTimeoutMs,
      `listing the end offset of ${topic} partition ${partition}`,
    )
    const endOffset = offsets.get(topic)?.[partition]
    if (endOffset === undefined) throw new Error(`the broker listed no end offset for ${topic} partition ${partition}`)
    return endOffset
  }

  /**
   * Asks the handler where to start, then delivers batches until the
   * partition is revoked. A failing handler call gives the partition back to
   * the handler (`revoked`) and starts over from a fresh `assigned` after a
   * backoff, because the handler's state after a failed batch is unknown.
   */
  async #runPartition(owned: OwnedPartition): Promise<void> {
    const { partition } = owned
    const signal = owned.stop.signal
    const handler = this.#handler
    if (handler === undefined) return

    while (!signal.aborted) {
      let offset: bigint
      try {
        const endOffset = await this.#endOffset(partition)
        offset = await handler.assigned(partition, endOffset)
        owned.handlerAssigned = true
      } catch (error) {
        owned.failures++
        const delayMs = backoffMs(owned.failures)
        this.#logger.error(
          { err: error, partition, delayMs },
          'listing the end offset or the assigned handler failed, retrying after a delay',
        )
        await sleep(delayMs, signal)
        continue
      }

      this.#logger.info({ partition, offset }, 'partition started')
      try {
        await this.#deliver(owned, handler, offset)
        return
      } catch (error) {
        if (error instanceof FetchOffsetOutOfRangeError) {
          this.#fail(error)
          return
        }

        owned.failures++
        const delayMs = backoffMs(owned.failures)
        this.#logger.error(
          { err: error, partition, delayMs },
          'records handler failed, restarting the partition from the offset that assigned returns',
        )
        owned.handlerAssigned = false
        try {
          await handler.revoked(partition)
        } catch (revokeError) {
          this.#logger.error({ err: revokeError, partition }, 'revoked handler failed')
        }
        await sleep(delayMs, signal)
      }
    }
  }

  /**
   * Delivers batches from `startOffset` on, one at a time, while the next
   * fetch is already in flight. Returns when the partition is revoked, and
   * throws what the handler or the fetcher throws.
   */
  async #deliver(owned: OwnedPartition, handler: PartitionHandler, startOffset: bigint): Promise<void> {
    const { partition, fetcher } = owned
    const { maxBatchRecords } = this.#options

    // Ends the prefetch when this delivery ends for any reason.
    const local = new AbortController()
    const signal = AbortSignal.any([owned.stop.signal, local.signal])
    const prefetch = (offset: bigint): Promise<FetchedRecords | FetchFailure | null> =>
      fetcher.fetch(offset, signal).catch((error: unknown) => ({ error }))

    try {
      let next = prefetch(startOffset)
      while (true) {
        const fetched = await next
        if (fetched === null || signal.aborted) return
        if ('error' in fetched) throw fetched.error

        next = prefetch(fetched.nextOffset)
        for (let start = 0; start < fetched.records.length; start += maxBatchRecords) {
          if (signal.aborted) return
          await handler.records(partition, fetched.records.slice(start, start + maxBatchRecords))
          owned.failures = 0
        }
      }
    } finally {
      local.abort()
    }
  }

  #fail(error: Error): void {
    if (this.#state !== 'running') return

    this.#logger.error({ err: error }, 'kafka consumer stopping after an unrecoverable error')
    this.#failure = error
    void this.close()
  }
}

function findPartitions(assignments: GroupAssignment[] | undefined, topic: string): number[] {
  return assignments?.find((assignment) => assignment.topic === topic)?.partitions ?? []
}
