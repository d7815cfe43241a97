// The performance targets, checked against one run's medians: each bound is
// shown as the measured ratio next to its limit. Informational: a missed
// target never changes the exit code (no speed assertion in CI).
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

interface Bound {
  ref: Ref;
  factor: number;
  /** value ≥ factor × ref instead of ≤ */
  atLeast?: boolean;
}

interface Rule {
  scenario: string;
  metric: MetricKey;
  server: ServerId;
  bounds: Bound[];
  text: string;
}

const CONN: ServerId = 'netpoll', SERVE: ServerId = 'netpoll-handler', READ: ServerId = 'netpoll-read';
const GO: Bound = { ref: 'go', factor: 1 };

function cpu(scenario: string, label: string): Rule[] {
  return [
    { scenario, metric: 'cpu_us_per_rt', server: CONN, text: `Conn ${label}: CPU/rt ≤ Go, ≤ 1.2× C`, bounds: [GO, { ref: 'c-epoll', factor: 1.2 }] },
    { scenario, metric: 'p99_us', server: CONN, text: `Conn ${label}: p99 ≤ Go`, bounds: [GO] },
    { scenario, metric: 'p999_us', server: CONN, text: `Conn ${label}: p99.9 ≤ Go`, bounds: [GO] },
  ];
}

function serve(scenario: string, label: string): Rule[] {
  return [
    { scenario, metric: 'cpu_us_per_rt', server: SERVE, text: `serve() ${label}: CPU/rt ≤ 1.1× C`, bounds: [{ ref: 'c-epoll', factor: 1.1 }] },
    { scenario, metric: 'p99_us', server: SERVE, text: `serve() ${label}: p99 ≤ 1.5× C`, bounds: [{ ref: 'c-epoll', factor: 1.5 }] },
  ];
}

const RULES: Rule[] = [
  ...cpu('lat-1x64', '1×64 B'),
  ...cpu('rt-100x64', '100×64 B'),
  ...cpu('rt-1000x64', '1000×64 B'),
  ...serve('rt-100x64', '100×64 B'),
  ...serve('rt-1000x64', '1000×64 B'),
  // Bulk, both ways of reading a Conn: readChunk() (a fresh chunk per read) and Go's Read into a buffer the loop keeps.
  { scenario: 'mb-100x16k', metric: 'cpu_us_per_rt', server: CONN, text: 'Conn readChunk() 100×16 KiB: CPU per byte ≤ 1.2× C', bounds: [{ ref: 'c-epoll', factor: 1.2 }] },
  { scenario: 'bulk', metric: 'server_cpu_ms', server: CONN, text: 'Conn readChunk() bulk, one stream: CPU per byte ≤ 1.2× C', bounds: [{ ref: 'c-epoll', factor: 1.2 }] },
  { scenario: 'mb-100x16k', metric: 'cpu_us_per_rt', server: READ, text: 'Conn read(buf) 100×16 KiB: CPU per byte ≤ 1.2× C', bounds: [{ ref: 'c-epoll', factor: 1.2 }] },
  { scenario: 'bulk', metric: 'server_cpu_ms', server: READ, text: 'Conn read(buf) bulk, one stream: CPU per byte ≤ 1.2× C', bounds: [{ ref: 'c-epoll', factor: 1.2 }] },
  { scenario: 'idle-echoed', metric: 'rss_settled_per_conn', server: CONN, text: 'Conn idle after one echo: RSS ≤ 1.5 KB/conn (settled)', bounds: [{ ref: 'const', factor: 1500 }] },
  { scenario: 'idle-echoed', metric: 'rss_settled_per_conn', server: SERVE, text: 'serve() idle after one echo: RSS ≤ 500 B/conn (settled)', bounds: [{ ref: 'const', factor: 500 }] },
  { scenario: 'rt-1000x64', metric: 'timer_p99_ms', server: CONN, text: 'Conn 1000 busy conns: 10 ms timer lateness p99 ≤ 20 ms', bounds: [{ ref: 'const', factor: 20 }] },
  { scenario: 'rt-1000x64', metric: 'timer_p99_ms', server: SERVE, text: 'serve() 1000 busy conns: 10 ms timer lateness p99 ≤ 20 ms', bounds: [{ ref: 'const', factor: 20 }] },
  { scenario: 'burst-1000', metric: 'total_ms', server: CONN, text: 'Conn 1000 dialed at once: all echoed ≤ 1000 ms', bounds: [{ ref: 'const', factor: 1000 }] },
  { scenario: 'deadline', metric: 'rt_per_s', server: 'netpoll-deadline', text: 'deadline on every read: rt/s ≥ 0.9× without',
    bounds: [{ ref: 'netpoll', factor: 0.9, atLeast: true }] },
];

const SHORT: Partial<Record<ServerId, string>> = { 'c-epoll': 'C', go: 'Go', 'node-net': 'node:net', netpoll: 'Conn' };

function limit(b: Bound): string {
  return `${b.atLeast ? '≥' : '≤'} ${b.factor}`;
}

export function checkTargets(all: ScenarioSummary[], micro: MicroResult[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const r of RULES) {
    const s = all.find((x) => x.id === r.scenario);
    if (!s) continue;
    const get = (id: ServerId): number | undefined => s.servers.find((x) => x.server === id)?.medians[r.metric];
    const v = get(r.server);
    if (v === undefined) { out.push({ target: r.text, value: '–', verdict: 'no data' }); continue; }
    let ok = true;
    let complete = true;
    const parts: string[] = [];
    for (const b of r.bounds) {
      const ref = b.ref === 'const' ? 1 : get(b.ref);
      if (ref === undefined || !(ref > 0)) { complete = false; parts.push(`no ${b.ref} figure`); continue; }
      if (b.atLeast ? v < b.factor * ref : v > b.factor * ref) ok = false;
      parts.push(b.ref === 'const' ? `${v.toPrecision(4)} (${limit(b)})` : `${(v / ref).toFixed(2)}× ${SHORT[b.ref] ?? b.ref} (${limit(b)})`);
    }
    out.push({ target: r.text, value: parts.join(', '), verdict: !ok ? 'missed' : complete ? 'met' : 'no data' });
  }
  const wakeValues = micro.find((m) => m.name === 'wake-latency' && m.ok)?.values;
  const wake = wakeValues?.['p50_us'], wakeC = wakeValues?.['c_p50_us'];
  if (wake !== undefined) {
    // The C twin's p50 is this machine's floor for a thread waking another out of epoll_wait.
    const floor = wakeC === undefined ? '' : ` (C on this machine: ${wakeC.toFixed(1)} µs, ${(wake / wakeC).toFixed(2)}×)`;
    out.push({ target: 'cross-thread wake() p50 ≤ 50 µs', value: `${wake.toFixed(1)} µs${floor}`, verdict: wake <= 50 ? 'met' : 'missed' });
  }
  return out;
}

/** The targets as a markdown table: target, measured ratio (limit), status. */
export function targetTable(ts: TargetCheck[]): string {
  const rows = ts.map((t) => `| ${t.target} | ${t.value} | ${t.verdict === 'met' ? 'met' : t.verdict === 'missed' ? '**missed**' : 'no data'} |`);
  return `| target | measured (limit) | status |\n|---|---|---|\n${rows.join('\n')}\n`;
}
