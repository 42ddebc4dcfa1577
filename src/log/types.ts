/**
 * The command log: an ordered, durable, partitioned log of commands keyed by
 * symbol. Kafka implements it in production; an on-disk log implements it in
 * the embedded mode. Both keep every record of one key on one partition, in
 * append order.
 */

export interface LogRecord {
  partition: number
  /** Position of the record in its partition; the first record has offset 0. */
  offset: bigint
  key: string
  value: Buffer
  /** Append time in milliseconds since the epoch, as the log recorded it. */
  timestampMs: number
}

export interface AppendResult {
  partition: number
  offset: bigint
}

export interface CommandLogProducer {
  /**
   * Appends one record. Resolves only once the record is durable: acknowledged
   * by every in-sync replica (Kafka, acks=all) or written and fsynced (disk).
   */
  append(key: string, value: Buffer): Promise<AppendResult>
  close(): Promise<void>
}

/**
 * The consumer side hands each partition to the engine through these hooks.
 * Records of one partition arrive in offset order, one batch at a time: the
 * next batch of that partition is not delivered before the previous
 * `records` call resolves.
 */
export interface PartitionHandler {
  /**
   * Returns the offset to start reading from, usually the snapshot's offset
   * + 1. `endOffset` is the offset after the partition's last record at
   * assignment, so that the handler can check the log still contains what
   * it processed.
   */
  assigned(partition: number, endOffset: bigint): Promise<bigint>
  /** Resolves after the batch's effects are persisted. */
  records(partition: number, batch: LogRecord[]): Promise<void>
  /** Called before the partition is released; the engine must stop writing for it. */
  revoked(partition: number): Promise<void>
}

export interface CommandLogConsumer {
  /** Joins the group and delivers records until close() is called. */
  run(handler: PartitionHandler): Promise<void>
  /** Records that everything before `nextOffset` of the partition is processed. */
  commit(partition: number, nextOffset: bigint): Promise<void>
  close(): Promise<void>
}

export interface CommandLog {
  readonly partitions: number
  /** Creates the topic (or the partition files) when absent. */
  ensure(): Promise<void>
  producer(): CommandLogProducer
  consumer(groupId: string): CommandLogConsumer
  /** Rejects when the log cannot be reached within its configured timeout. */
  ping(): Promise<void>
  close(): Promise<void>
}

/** Picks the partition of a key the way Kafka's default partitioner does (murmur2). */
export type Partitioner = (key: string, partitions: number) => number

/** Returns what a partition with this end offset contains, for messages: "has records up to offset 41". */
export function describeLogEnd(endOffset: bigint): string {
  return endOffset === 0n ? 'has no records' : `has records up to offset ${endOffset - 1n}`
}
