// Cross-thread wake() latency (target: p50 ≤ 50 µs).
// The main thread blocks in poller.poll(); a worker thread stamps the time
// and calls wake() through wakerFrom(handle); the main thread measures how
// long it took to come back out of poll(). Then the same in C
// (wake-latency.c: a pthread writes an eventfd the main thread's epoll_wait
// watches), the floor this machine sets, as c_p50_us and c_p99_us. Prints
// one JSON line.
// Usage: node --import tsx bench/micro/wake-latency.ts [--mode full|quick|smoke]
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createPoller, wakerFrom } from '../../src/poller/index.ts';
import { buildC } from '../lib/build.ts';
import { BENCH_DIR } from '../lib/paths.ts';
import { tsWorker } from '../lib/ts-worker.ts';

interface Shared {
  handle: Parameters<typeof wakerFrom>[0];
  /** [0]: go flag for the worker, [1]: stop flag */
  flags: SharedArrayBuffer;
  /** [0]: hrtime (ns) just before wake() */
  stamp: SharedArrayBuffer;
  iterations: number;
}

const POLL_TIMEOUT_NS = 1e9; // bounded: a lost wake-up shows as a 1 s sample, not a hang

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function workerSide(sh: Shared): void {
  const waker = wakerFrom(sh.handle);
  parentPort?.postMessage('ready');
  const flags = new Int32Array(sh.flags);
  const stamp = new BigInt64Array(sh.stamp);
  for (let i = 0; i < sh.iterations; i++) {
    // wait for the main thread to be (about to be) parked in poll()
    while (Atomics.wait(flags, 0, 0, 1000) === 'timed-out') if (Atomics.load(flags, 1)) return;
    Atomics.store(flags, 0, 0);
    // give the main thread time to really enter epoll_wait
    const until = process.hrtime.bigint() + 200_000n;
    while (process.hrtime.bigint() < until);
    Atomics.store(stamp, 0, process.hrtime.bigint());
    waker.wake();
  }
}

/** The C twin's figures for the same number of wake-ups; {} where it cannot build or run (it needs epoll). */
function cFloor(iterations: number): { c_p50_us?: number; c_p99_us?: number } {
  try {
    const bin = buildC('wake-latency', resolve(BENCH_DIR, 'micro/wake-latency.c'), ['-pthread']);
    const out = execFileSync(bin, [String(iterations)], { encoding: 'utf8', timeout: 15_000 }); // well inside the micro runner's 60 s for both halves
    const { values } = JSON.parse(out) as { values: { p50_us: number; p99_us: number } };
    return { c_p50_us: values.p50_us, c_p99_us: values.p99_us };
  } catch (e) {
    process.stderr.write(`wake-latency: no C floor: ${(e as Error).message.split('\n')[0] ?? ''}\n`);
    return {};
  }
}

async function mainSide(): Promise<void> {
  const mode = process.argv[process.argv.indexOf('--mode') + 1] ?? 'full';
  const iterations = mode === 'smoke' ? 100 : mode === 'quick' ? 1000 : 5000;
  const poller = createPoller();
  const sh: Shared = {
    handle: poller.waker(),
    flags: new SharedArrayBuffer(8),
    stamp: new SharedArrayBuffer(8),
    iterations,
  };
  const flags = new Int32Array(sh.flags);
  const stamp = new BigInt64Array(sh.stamp);
  const w = tsWorker(import.meta.url, { workerData: sh });
  const samples: number[] = [];
  let lost = 0;
  try {
    await new Promise<void>((res, rej) => {
      // the worker says it is ready once its module (and tsx) are loaded
      w.once('message', () => res());
      w.once('error', rej);
    });
    for (let i = 0; i < iterations; i++) {
      Atomics.store(stamp, 0, 0n);
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      const deadline = process.hrtime.bigint() + 2_000_000_000n;
      // poll until the wake arrives (a poll may also return for nothing)
      for (;;) {
        poller.poll(POLL_TIMEOUT_NS, () => undefined);
        const t0 = Atomics.load(stamp, 0);
        const now = process.hrtime.bigint();
        if (t0 !== 0n) {
          samples.push(Number(now - t0) / 1000);
          break;
        }
        if (now > deadline) {
          lost++;
          break;
        }
      }
    }
  } finally {
    Atomics.store(flags, 1, 1);
    await w.terminate();
    poller.shutdown();
  }
  samples.sort((a, b) => a - b);
  const values = {
    p50_us: pct(samples, 50), p99_us: pct(samples, 99), max_us: samples[samples.length - 1] ?? NaN, n: samples.length, lost,
    ...cFloor(iterations),
  };
  process.stdout.write(`${JSON.stringify({ name: 'wake-latency', ok: lost === 0, values })}\n`);
  if (lost) process.exitCode = 1;
}

if (isMainThread) await mainSide();
else workerSide(workerData as Shared);
