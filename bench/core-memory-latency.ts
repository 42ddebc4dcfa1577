/**
 * Measures the latency of dependent memory loads for working sets of
 * several sizes, to compare the core's data structures with the caches of
 * the machine it runs on:
 *
 *   node bench/core-memory-latency.ts
 *
 * Each size is an Int32Array whose cache lines form one random cycle, so
 * every load depends on the previous one and the hardware prefetcher cannot
 * guess the next line. The figure includes TLB misses on large sets.
 */

import { createRandom } from './flow-generator.ts'

const SIZES_KB = [32, 256, 1024, 2048, 4096, 16384, 65536]
const INTS_PER_LINE = 16
const LOADS = 2_000_000

/** Returns an array in which following the values from index 0 visits every cache line once, in random order. */
function randomCycle(bytes: number, random: () => number): Int32Array {
  const next = new Int32Array(bytes / 4)
  const lines = next.length / INTS_PER_LINE
  const order = Array.from({ length: lines }, (_, line) => line)
  for (let i = lines - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = order[i]
    order[i] = order[j]
    order[j] = swap
  }
  for (let i = 0; i < lines; i++) {
    next[order[i] * INTS_PER_LINE] = order[(i + 1) % lines] * INTS_PER_LINE
  }
  return next
}

/** Returns the mean nanoseconds per load of a chase through `next`, after one untimed chase. */
function chaseNs(next: Int32Array): number {
  let position = 0
  for (let i = 0; i < LOADS; i++) position = next[position]
  const start = process.hrtime.bigint()
  for (let i = 0; i < LOADS; i++) position = next[position]
  const elapsedNs = Number(process.hrtime.bigint() - start)
  // Reading the final position keeps the loop from being optimized away.
  return position < 0 ? Number.NaN : elapsedNs / LOADS
}

const random = createRandom(42)
for (const kb of SIZES_KB) {
  const ns = chaseNs(randomCycle(kb * 1024, random))
  process.stdout.write(`${kb} KB: ${ns.toFixed(1)} ns per dependent load\n`)
}
