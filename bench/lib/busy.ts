// How busy the machine is before a measurement. The bench needs both cores to
// itself; other processes (a test suite, a type-checker) on this 2-core
// machine skew every figure, so the report says when that was the case.
import { readFileSync } from 'node:fs';

function sample(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Percent of all cores busy over `ms` (100 = every core fully busy). */
export async function busyPercent(ms = 300): Promise<number> {
  const a = sample();
  await new Promise((r) => setTimeout(r, ms));
  const b = sample();
  const dt = b.total - a.total;
  return dt > 0 ? (100 * (b.busy - a.busy)) / dt : 0;
}

/** Percent above which a measurement is flagged as taken on a busy machine. */
export const BUSY_THRESHOLD = 15;
