// Preloaded into every Node echo server by the harness
// (`node --expose-gc --import tsx --import ./bench/servers/stats-hook.ts …`),
// so the servers themselves (and examples/) stay free of bench code.
//
// It answers a line "stats" on stdin with one line "stats {json}" on stdout:
// rss and heapUsed (after gc() when --expose-gc is on), and the lateness of a
// 10 ms interval timer since the previous "stats": how long the event loop
// was kept from running timers (the fairness figure). "stats nogc"
// answers the same without collecting first: the harness asks so at the start
// of a measured echo window, where two full collections (~10–25 ms with 1000
// connections) would stall every request in flight and show up as the
// window's p99.9.
import { isMainThread } from 'node:worker_threads';

const PERIOD_MS = 10;
const MAX_SAMPLES = 100_000; // bounded: ~17 minutes of samples between two stats

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length));
  return sorted[i] ?? 0;
}

function install(): void {
  let samples: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = Math.max(0, now - last - PERIOD_MS);
    last = now;
    if (samples.length < MAX_SAMPLES) samples.push(late);
  }, PERIOD_MS);
  timer.unref();

  const maybeGc = (globalThis as { gc?: () => void }).gc;
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== 'stats' && line !== 'stats nogc') continue;
      if (maybeGc && line === 'stats') {
        // Two passes: the first may only queue finalizers/weak callbacks.
        maybeGc();
        maybeGc();
        // The pause is ours, not the server's: the next tick measures from here.
        last = performance.now();
      }
      const mem = process.memoryUsage();
      const sorted = samples.sort((a, b) => a - b);
      samples = [];
      const out = {
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        external: mem.external,
        arrayBuffers: mem.arrayBuffers,
        gc: maybeGc !== undefined,
        timer: {
          n: sorted.length,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          max: sorted.length ? (sorted[sorted.length - 1] ?? 0) : 0,
        },
      };
      process.stdout.write(`stats ${JSON.stringify(out)}\n`);
    }
  });
  // A server run by hand without the harness must not be kept alive by stdin.
  process.stdin.on('end', () => undefined);
  const stdin = process.stdin as NodeJS.ReadStream & { unref?: () => void };
  stdin.unref?.();
}

if (isMainThread) install();
