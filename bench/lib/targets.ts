// Issue 4's targets, checked against one run's medians. Informational: a
// missed target never changes the exit code (no speed assertion in CI).
import type { MetricKey } from './metrics.ts';
import type { MicroResult } from './micro.ts';
import type { ServerId } from './servers.ts';
import type { ScenarioSummary } from './summary.ts';

export interface TargetCheck {
  target: string;
  value: string;
  verdict: 'met' | 'missed' | 'no data';
}

type Ref = ServerId | 'const';

interface Rule {
  scenario: string;
  metric: MetricKey;
  server: ServerId;
  /** value ≤ factor × ref (or ≥ when atLeast) */
  bounds: Array<{ ref: Ref; factor: number; atLeast?: boolean }>;
  text: string;
}

const RULES: Rule[] = [
  { scenario: 'rt-100x64', metric: 'cpu_us_per_rt', server: 'netpoll', text: '100×64 B server CPU/rt ≤ Go, ≤ 1.25× C, ≤ 0.7× node:net',
    bounds: [{ ref: 'go', factor: 1 }, { ref: 'c-epoll', factor: 1.25 }, { ref: 'node-net', factor: 0.7 }] },
  { scenario: 'rt-100x64', metric: 'rt_per_s', server: 'netpoll', text: '100×64 B rt/s ≥ 1.4× node:net, ≥ Go',
    bounds: [{ ref: 'node-net', factor: 1.4, atLeast: true }, { ref: 'go', factor: 1, atLeast: true }] },
  { scenario: 'rt-1000x64', metric: 'rt_per_s', server: 'netpoll', text: '1000×64 B rt/s ≥ 1.4× node:net, ≥ Go',
    bounds: [{ ref: 'node-net', factor: 1.4, atLeast: true }, { ref: 'go', factor: 1, atLeast: true }] },
  { scenario: 'mb-100x16k', metric: 'mb_per_s', server: 'netpoll', text: '100×16 KiB MB/s ≥ 1.4× node:net',
    bounds: [{ ref: 'node-net', factor: 1.4, atLeast: true }] },
  { scenario: 'lat-1x64', metric: 'p50_us', server: 'netpoll', text: '1×64 B p50 ≤ node:net, ≤ 1.15× C',
    bounds: [{ ref: 'node-net', factor: 1 }, { ref: 'c-epoll', factor: 1.15 }] },
  { scenario: 'lat-1x64', metric: 'p99_us', server: 'netpoll', text: '1×64 B p99 ≤ node:net, ≤ 1.15× C',
    bounds: [{ ref: 'node-net', factor: 1 }, { ref: 'c-epoll', factor: 1.15 }] },
  { scenario: 'bulk', metric: 'mb_per_s', server: 'netpoll', text: 'bulk MB/s ≥ 1.5× node:net',
    bounds: [{ ref: 'node-net', factor: 1.5, atLeast: true }] },
  { scenario: 'idle-echoed', metric: 'rss_per_conn', server: 'netpoll', text: 'idle after one echo: RSS ≤ 400 B/conn',
    bounds: [{ ref: 'const', factor: 400 }] },
  { scenario: 'idle-echoed', metric: 'heap_per_conn', server: 'netpoll', text: 'idle after one echo: heap ≤ 400 B/conn',
    bounds: [{ ref: 'const', factor: 400 }] },
  { scenario: 'burst-1000', metric: 'total_ms', server: 'netpoll', text: '1000 dialed at once: all echoed ≤ 1000 ms',
    bounds: [{ ref: 'const', factor: 1000 }] },
  { scenario: 'deadline', metric: 'rt_per_s', server: 'netpoll-deadline', text: 'deadline on every read: rt/s ≥ 0.9× without',
    bounds: [{ ref: 'netpoll', factor: 0.9, atLeast: true }] },
  { scenario: 'rt-1000x64', metric: 'timer_p99_ms', server: 'netpoll', text: '1000 conns under load: 10 ms timer lateness p99 ≤ 20 ms',
    bounds: [{ ref: 'const', factor: 20 }] },
];

export function checkTargets(all: ScenarioSummary[], micro: MicroResult[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const r of RULES) {
    const s = all.find((x) => x.id === r.scenario);
    const get = (id: ServerId): number | undefined => s?.servers.find((x) => x.server === id)?.medians[r.metric];
    const v = get(r.server);
    if (v === undefined) {
      if (s) out.push({ target: r.text, value: '–', verdict: 'no data' });
      continue;
    }
    let ok = true;
    let complete = true;
    const parts: string[] = [`${v.toPrecision(4)}`];
    for (const b of r.bounds) {
      const ref = b.ref === 'const' ? 1 : get(b.ref);
      if (ref === undefined) {
        complete = false;
        continue;
      }
      const limit = b.factor * ref;
      if (b.atLeast ? v < limit : v > limit) ok = false;
      if (b.ref !== 'const') parts.push(`${(v / ref).toFixed(2)}× ${b.ref}`);
    }
    out.push({ target: r.text, value: parts.join(', '), verdict: !ok ? 'missed' : complete ? 'met' : 'no data' });
  }
  const wake = micro.find((m) => m.name === 'wake-latency' && m.ok)?.values['p50_us'];
  if (wake !== undefined) out.push({ target: 'cross-thread wake() p50 ≤ 50 µs', value: `${wake.toFixed(1)} µs`, verdict: wake <= 50 ? 'met' : 'missed' });
  return out;
}
