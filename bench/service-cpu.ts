/**
 * CPU use of the benchmark's processes, sampled from /proc (Linux only), so
 * that a figure shows which process was busy: the engine, dynalite or the
 * rest of the machine.
 */

import { readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'

/** Clock ticks per second of utime and stime in /proc/PID/stat (USER_HZ, 100 on Linux x86-64 and arm64). */
const CLOCK_TICKS_PER_SEC = 100
const SAMPLE_INTERVAL_MS = 250

interface Sample {
  atMs: number
  /** CPU seconds of each watched process, user plus system. */
  processSec: Map<string, number>
  /** Running total of the seconds each watched process's threads spent ready to run but waiting for a core. */
  waitSec: Map<string, number>
  /** Busy CPU seconds of the whole machine, all cores. */
  machineSec: number
}

export interface CpuUsage {
  /** Cores used on average over the window, per watched process, e.g. 0.95. */
  cores: Record<string, number>
  /**
   * Threads of each watched process that were ready to run but waiting for
   * a core, on average over the window (from the run queue wait in
   * /proc/PID/task/TID/schedstat). Near 0 when the process never waits.
   * A thread that exits loses its wait since the sample before its exit.
   */
  waiting: Record<string, number>
  /** Cores used by the whole machine, the watched processes included. */
  machineCores: number
  /** One-minute load average at the end of the window. */
  loadAverage: number
}

export interface CpuSampler {
  /** Usage between two times on the performance.now() clock, from the nearest samples. */
  usage(fromMs: number, toMs: number): CpuUsage
  stop(): void
}

/** Returns the CPU seconds the process used so far, or NaN once it has exited. */
export function processCpuSec(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name in brackets may contain spaces, so count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC
  } catch {
    return Number.NaN
  }
}

/** Returns the run queue wait of each live thread of the process so far, in seconds, by thread id. */
export function threadWaitSec(pid: number): Map<string, number> {
  const waits = new Map<string, number>()
  let threads: string[]
  try {
    threads = readdirSync(`/proc/${pid}/task`)
  } catch {
    return waits
  }
  for (const thread of threads) {
    try {
      // Fields: time on a CPU, time waiting on a run queue (both ns), time slices run.
      waits.set(thread, Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[1]) / 1e9)
    } catch {
      // The thread exited between the listing and the read.
    }
  }
  return waits
}

/**
 * Accumulates a process's run queue wait from sample to sample, thread by
 * thread, so that a thread that exits takes none of the wait already counted
 * with it. The wait of a thread between its last sample and its exit is lost.
 */
class WaitCounter {
  readonly #pid: number
  #previous = new Map<string, number>()
  #totalSec = 0

  constructor(pid: number) {
    this.#pid = pid
  }

  /** Reads the threads again and returns the running total in seconds. Only differences of two totals mean anything. */
  sample(): number {
    const current = threadWaitSec(this.#pid)
    for (const [thread, waitSec] of current) {
      this.#totalSec += waitSec - (this.#previous.get(thread) ?? 0)
    }
    this.#previous = current
    return this.#totalSec
  }
}

function machineBusySec(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]
  const ticks = line.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0)
  return (total - ticks[3] - ticks[4]) / CLOCK_TICKS_PER_SEC
}

/** Samples the named processes every 250 ms until stop(). */
export function sampleCpu(pids: Record<string, number>): CpuSampler {
  const samples: Sample[] = []
  const waitCounters = new Map(Object.entries(pids).map(([name, pid]) => [name, new WaitCounter(pid)]))
  const take = () => {
    const processSec = new Map<string, number>()
    const waitSec = new Map<string, number>()
    for (const [name, pid] of Object.entries(pids)) {
      processSec.set(name, processCpuSec(pid))
      waitSec.set(name, waitCounters.get(name)!.sample())
    }
    samples.push({ atMs: performance.now(), processSec, waitSec, machineSec: machineBusySec() })
  }
  take()
  const timer = setInterval(take, SAMPLE_INTERVAL_MS)

  const nearest = (atMs: number): Sample =>
    samples.reduce((best, sample) => (Math.abs(sample.atMs - atMs) < Math.abs(best.atMs - atMs) ? sample : best))

  return {
    usage(fromMs, toMs) {
      take()
      const from = nearest(fromMs)
      const to = nearest(toMs)
      const wallSec = Math.max(0.001, (to.atMs - from.atMs) / 1000)
      const round = (value: number) => Math.round(value * 100) / 100

      const cores: Record<string, number> = {}
      const waiting: Record<string, number> = {}
      for (const name of Object.keys(pids)) {
        cores[name] = round((to.processSec.get(name)! - from.processSec.get(name)!) / wallSec)
        waiting[name] = round((to.waitSec.get(name)! - from.waitSec.get(name)!) / wallSec)
      }
      return {
        cores,
        waiting,
        machineCores: round((to.machineSec - from.machineSec) / wallSec),
        loadAverage: round(loadavg()[0]),
      }
    },
    stop: () => clearInterval(timer),
  }
}

/**
 * Returns the pid of the process whose command line contains every one of
 * `parts` as an argument, e.g. ['scripts/dynalite.ts', '--port', '31020'].
 */
export function findProcess(parts: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let args: string[]
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
    } catch {
      continue
    }
    const matches = parts.every((part) => args.some((arg) => arg === part || arg.endsWith(`/${part}`)))
    if (matches) return Number(entry)
  }
  return undefined
}
