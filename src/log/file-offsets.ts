/**
 * Committed offsets of one consumer group of the embedded log, kept in a
 * small JSON file that is replaced atomically on every write.
 */

import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

import { makeDirectory, writeFileAtomic } from './file-fs.ts'

const OFFSETS_FILE_VERSION = 1

interface OffsetsFile {
  version: number
  groupId: string
  /** Next offset to process by partition, as decimal strings because offsets are 64-bit. */
  offsets: Record<string, string>
}

export function groupOffsetsPath(dir: string, groupId: string): string {
  // encodeURIComponent leaves no path separator, so every group id maps to one file name.
  return join(dir, 'groups', `${encodeURIComponent(groupId)}.json`)
}

/** Reads the committed offsets of a group, or an empty map when the group never committed. */
export async function readGroupOffsets(dir: string, groupId: string): Promise<Map<number, bigint>> {
  const path = groupOffsetsPath(dir, groupId)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw error
  }

  return parseOffsetsFile(path, groupId, text)
}

function parseOffsetsFile(path: string, groupId: string, text: string): Map<number, bigint> {
  const invalid = (reason: string): Error =>
    new Error(
      `invalid committed offsets file ${path}: ${reason}; ` +
        `delete it to reset the offsets of group "${groupId}"`,
    )

  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw invalid('not JSON')
  }

  const file = parsed as Partial<OffsetsFile> | null
  if (typeof file !== 'object' || file === null || file.version !== OFFSETS_FILE_VERSION) {
    throw invalid(`expected an object with version ${OFFSETS_FILE_VERSION}`)
  }
  if (typeof file.offsets !== 'object' || file.offsets === null) {
    throw invalid('offsets is missing')
  }

  const offsets = new Map<number, bigint>()
  for (const [partition, offset] of Object.entries(file.offsets)) {
    if (!/^\d+$/.test(partition) || typeof offset !== 'string' || !/^\d+$/.test(offset)) {
      const entry = `${JSON.stringify(partition)}: ${JSON.stringify(offset)}`
      throw invalid(`entry ${entry} is not a partition number and a decimal offset`)
    }
    offsets.set(Number(partition), BigInt(offset))
  }

  return offsets
}

export class GroupOffsetStore {
  readonly groupId: string
  readonly path: string

  #dir: string
  #fsync: boolean
  #offsets: Promise<Map<number, bigint>> | null = null
  /** The last write scheduled. The next write starts after it settles. */
  #lastWrite: Promise<void> = Promise.resolve()
  /** A write that has not started yet, so a new commit can join it. */
  #queuedWrite: Promise<void> | null = null

  constructor(dir: string, groupId: string, fsync: boolean) {
    this.groupId = groupId
    this.path = groupOffsetsPath(dir, groupId)
    this.#dir = dir
    this.#fsync = fsync
  }

  /**
   * Stores `nextOffset` as the committed offset of the partition. Resolves
   * once a file containing it is durable. Commits that arrive while a write
   * is in flight share the following write.
   */
  async commit(partition: number, nextOffset: bigint): Promise<void> {
    this.#offsets ??= readGroupOffsets(this.#dir, this.groupId)
    let offsets: Map<number, bigint>
    try {
      offsets = await this.#offsets
    } catch (error) {
      this.#offsets = null
      throw error
    }

    offsets.set(partition, nextOffset)
    return this.#scheduleWrite(offsets)
  }

  /** Resolves once every write scheduled so far has settled, whether it succeeded or not. */
  async flush(): Promise<void> {
    await this.#lastWrite.catch(() => {})
  }

  #scheduleWrite(offsets: Map<number, bigint>): Promise<void> {
    if (this.#queuedWrite !== null) return this.#queuedWrite

    const write = this.#lastWrite
      .catch(() => {})
      .then(() => {
        // From here on a new commit needs another write, because this one may have serialized already.
        this.#queuedWrite = null
        return this.#writeFile(offsets)
      })
    this.#queuedWrite = write
    this.#lastWrite = write

    return write
  }

  async #writeFile(offsets: Map<number, bigint>): Promise<void> {
    const entries = [...offsets]
      .sort(([a], [b]) => a - b)
      .map(([partition, offset]) => [String(partition), offset.toString()])
    const file: OffsetsFile = {
      version: OFFSETS_FILE_VERSION,
      groupId: this.groupId,
      offsets: Object.fromEntries(entries),
    }

    await makeDirectory(dirname(this.path), this.#fsync)
    await writeFileAtomic(this.path, `${JSON.stringify(file)}\n`, this.#fsync)
  }
}
