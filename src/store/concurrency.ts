/**
 * Runs `task` for every item with at most `limit` tasks in flight. After the
 * first failure no new task starts, and the call rejects with that error once
 * the running tasks have settled.
 */
export async function forEachConcurrent<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  let failure: { error: unknown } | undefined

  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]
      try {
        await task(item)
      } catch (error) {
        failure ??= { error }
      }
    }
  }

  const workers = Array.from({ length: Math.min(limit, items.length) }, worker)
  await Promise.all(workers)

  if (failure !== undefined) throw failure.error
}
