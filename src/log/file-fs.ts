/**
 * File system steps that make the embedded log's files survive a crash or
 * power loss: fsync a directory after changing its entries, and replace a
 * small file atomically.
 */

import { mkdir, open, rename } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Fsyncs a directory so that a file created, renamed or removed in it survives a crash. */
export async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Creates a directory and its missing parents, and fsyncs the parent of each one created. */
export async function makeDirectory(path: string, fsync: boolean): Promise<void> {
  const firstCreated = await mkdir(path, { recursive: true })
  if (firstCreated === undefined || !fsync) return

  // mkdir returns the topmost directory it created, so every directory below it is new too.
  for (let created = path; ; created = dirname(created)) {
    await fsyncDirectory(dirname(created))
    if (created === firstCreated) break
  }
}

/**
 * Replaces the file at `path` with `text`: write a temporary file, fsync it,
 * rename it over the old one, fsync the directory. A crash leaves either
 * the old or the new content, never a mix.
 */
export async function writeFileAtomic(path: string, text: string, fsync: boolean): Promise<void> {
  const temporaryPath = `${path}.tmp`
  const handle = await open(temporaryPath, 'w')
  try {
    await handle.writeFile(text)
    if (fsync) await handle.sync()
  } finally {
    await handle.close()
  }

  await rename(temporaryPath, path)
  if (fsync) await fsyncDirectory(dirname(path))
}
