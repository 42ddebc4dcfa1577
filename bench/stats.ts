/** Order statistics for the benchmarks. */

/** Returns the median of the values; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Returns the nearest-rank percentile (0 < p <= 100) of ascending values; NaN when empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

export interface LatencyPercentiles {
  p50: number
  p99: number
  p999: number
}

/** Returns p50, p99 and p99.9 of the samples, sorting them in place. */
export function latencyPercentiles(samples: Float64Array): LatencyPercentiles {
  samples.sort()
  return {
    p50: percentileOfSorted(samples, 50),
    p99: percentileOfSorted(samples, 99),
    p999: percentileOfSorted(samples, 99.9),
  }
}

/** Returns the median of each percentile over several runs. */
export function medianPercentiles(runs: readonly LatencyPercentiles[]): LatencyPercentiles {
  return {
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    p999: median(runs.map((run) => run.p999)),
  }
}

/**
 * Returns the median cost, in nanoseconds, of one pair of
 * process.hrtime.bigint() calls with nothing between them: the floor that a
 * per-command latency sample includes.
 */
export function hrtimePairOverheadNs(samples = 1_000_000): number {
  const deltas = new Float64Array(samples)
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint()
    deltas[i] = Number(process.hrtime.bigint() - start)
  }
  deltas.sort()
  return percentileOfSorted(deltas, 50)
}
