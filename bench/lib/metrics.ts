// The figures the harness reports, how to print them, and which way is better.
export type Better = 'higher' | 'lower';

export interface MetricDef {
  label: string;
  /** for ratio column headers */
  short: string;
  better: Better;
  digits: number;
}

export const METRICS = {
  rt_per_s: { label: 'round trips/s', short: 'rt/s', better: 'higher', digits: 0 },
  mb_per_s: { label: 'MB/s', short: 'MB/s', better: 'higher', digits: 1 },
  p50_us: { label: 'p50 µs', short: 'p50', better: 'lower', digits: 1 },
  p99_us: { label: 'p99 µs', short: 'p99', better: 'lower', digits: 1 },
  p999_us: { label: 'p99.9 µs', short: 'p99.9', better: 'lower', digits: 1 },
  cpu_us_per_rt: { label: 'srv CPU µs/rt', short: 'CPU/rt', better: 'lower', digits: 2 },
  /** utime alone: the server's own code, without the kernel's work on its behalf (the rest of CPU/rt). */
  user_us_per_rt: { label: 'srv user µs/rt', short: 'user/rt', better: 'lower', digits: 2 },
  server_cpu_ms: { label: 'srv CPU ms', short: 'CPU', better: 'lower', digits: 0 },
  loadgen_cpu_pct: { label: 'loadgen CPU %', short: 'lg CPU', better: 'lower', digits: 0 },
  timer_p99_ms: { label: 'timer late p99 ms', short: 'timer p99', better: 'lower', digits: 1 },
  timer_max_ms: { label: 'timer late max ms', short: 'timer max', better: 'lower', digits: 1 },
  rss_per_conn: { label: 'RSS B/conn', short: 'RSS/conn', better: 'lower', digits: 0 },
  rss_settled_per_conn: { label: 'RSS B/conn settled', short: 'RSS/conn settled', better: 'lower', digits: 0 },
  heap_per_conn: { label: 'heap B/conn', short: 'heap/conn', better: 'lower', digits: 0 },
  open_ms: { label: 'open ms', short: 'open', better: 'lower', digits: 0 },
  total_ms: { label: 'all echoed ms', short: 'all echoed', better: 'lower', digits: 0 },
  p99_ms: { label: 'p99 ms', short: 'p99', better: 'lower', digits: 0 },
  value: { label: 'value', short: 'value', better: 'higher', digits: 2 },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

export function fmt(key: MetricKey, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  const d = METRICS[key].digits;
  if (Math.abs(v) >= 1e5) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(d);
}

export function fmtRatio(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? '–' : `${r.toFixed(2)}×`;
}
