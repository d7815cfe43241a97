// The benchmark scenarios and their sizes in each mode (quick, full, smoke).
import type { MetricKey } from './metrics.ts';
import type { ServerId } from './servers.ts';

export type Mode = 'full' | 'quick' | 'smoke';

/** The comparison set (netpoll-handler: serve() instead of an async loop per Conn); other netpoll variants appear in their own scenarios and, for netpoll-read, the bulk ones. */
export const MAIN_SERVERS: ServerId[] = ['node-net', 'c-epoll', 'go', 'netpoll', 'netpoll-handler'];
/** Bulk scenarios add the Conn reading into a buffer of its own (Go's Read), beside its readChunk() loop. */
const BULK_SERVERS: ServerId[] = [...MAIN_SERVERS, 'netpoll-read'];

interface Base {
  id: string;
  title: string;
  servers: ServerId[];
  /** metrics[0] is the headline: ratios and the chart use it. */
  metrics: MetricKey[];
  /** extra metrics that also get ratio columns */
  ratioMetrics?: MetricKey[];
  /** Ratios against this server instead of node:net and C (deadline, workers). */
  baseline?: ServerId;
  /** Cores for the server; default the server core only. */
  cpus?: string;
  /** At most this many rounds (quick mode keeps slow scenarios short). */
  maxRounds?: number;
  note?: string;
}
export interface EchoScenario extends Base {
  kind: 'echo';
  conns: number;
  size: number;
  warmup: number;
  duration: number;
}
export interface BulkScenario extends Base {
  kind: 'bulk';
  bytes: number;
}
export interface IdleScenario extends Base {
  kind: 'idle';
  counts: [number, number];
  echo: boolean;
  /** Also the settled RSS (SETTLE_MS more of idleness at each count); off in smoke runs. */
  settle: boolean;
}
export interface BurstScenario extends Base {
  kind: 'burst';
  conns: number;
}
export type Scenario = EchoScenario | BulkScenario | IdleScenario | BurstScenario;

const ECHO_METRICS: MetricKey[] = ['rt_per_s', 'cpu_us_per_rt', 'user_us_per_rt', 'mb_per_s', 'p50_us', 'p99_us', 'p999_us', 'timer_p99_ms', 'loadgen_cpu_pct'];

interface Timing {
  warmup: number;
  duration: number;
}

function echo(id: string, conns: number, size: number, t: Timing, extra: Partial<EchoScenario> = {}): EchoScenario {
  const sz = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
  return {
    kind: 'echo',
    id,
    title: `${conns} conn${conns > 1 ? 's' : ''} × ${sz}`,
    conns,
    size,
    servers: MAIN_SERVERS,
    metrics: ECHO_METRICS,
    ratioMetrics: ['cpu_us_per_rt'],
    ...t,
    ...extra,
  };
}

/**
 * Idle time before the settled RSS figure: V8 sizes its young generation for
 * the burst of accepts and echoes and gives it back once allocation has been
 * low for ~5 s (a gc after that shrinks it); Go's scavenger returns freed
 * pages in the background meanwhile. Every server gets the same wait.
 */
export const SETTLE_MS = 5500;

function idle(counts: [number, number], withEcho: boolean, maxRounds?: number, settle = withEcho): IdleScenario {
  return {
    kind: 'idle',
    id: withEcho ? 'idle-echoed' : 'idle-never',
    title: `idle ${counts[0]}→${counts[1]} conns, ${withEcho ? 'after one echo each' : 'never used'}`,
    counts,
    echo: withEcho,
    servers: MAIN_SERVERS,
    settle,
    metrics: settle ? ['rss_settled_per_conn', 'rss_per_conn', 'heap_per_conn', 'open_ms'] : ['rss_per_conn', 'heap_per_conn', 'open_ms'],
    maxRounds,
    note: settle
      ? `bytes per connection between the two counts, after a gc; settled: after ${SETTLE_MS / 1000} s more of idleness and another gc`
      : 'bytes per connection between the two counts, after a gc',
  };
}

function bulk(bytes: number): BulkScenario {
  return {
    kind: 'bulk',
    id: 'bulk',
    title: `1 conn bulk ${bytes >= 1 << 30 ? `${bytes / (1 << 30)} GiB` : `${bytes / (1 << 20)} MiB`} each way`,
    bytes,
    servers: BULK_SERVERS,
    metrics: ['mb_per_s', 'server_cpu_ms', 'loadgen_cpu_pct'],
  };
}

function burst(conns: number): BurstScenario {
  return {
    kind: 'burst',
    id: `burst-${conns}`,
    title: `${conns} conns dialed at once, until all echoed`,
    conns,
    servers: MAIN_SERVERS,
    metrics: ['total_ms', 'p99_ms', 'server_cpu_ms'],
  };
}

function deadline(conns: number, t: Timing): EchoScenario {
  return echo('deadline', conns, 64, t, {
    title: `${conns} conns × 64 B, read deadline on every read vs none`,
    servers: ['netpoll', 'netpoll-deadline'],
    baseline: 'netpoll',
    note: 'target: with deadlines ≥ 0.9× without',
  });
}

function workers(conns: number, t: Timing): EchoScenario {
  return echo('workers', conns, 64, t, {
    title: `${conns} conns × 64 B, 2 worker threads (reusePort) vs 1`,
    servers: ['netpoll-workers-1', 'netpoll-workers-2'],
    baseline: 'netpoll-workers-1',
    cpus: '0,1',
    metrics: ['rt_per_s', 'cpu_us_per_rt', 'loadgen_cpu_pct', 'p99_us'],
    note: 'server on both cores, sharing core 1 with the load generator: read loadgen CPU beside it',
  });
}

export function scenariosFor(mode: Mode): Scenario[] {
  if (mode === 'smoke') {
    const t: Timing = { warmup: 0.1, duration: 0.25 };
    return [
      echo('echo-10x64', 10, 64, t),
      echo('echo-4x16k', 4, 16 * 1024, t, { servers: BULK_SERVERS }),
      bulk(4 << 20),
      idle([20, 100], true, undefined, false),
      burst(100),
      deadline(10, t),
      workers(10, t),
    ];
  }
  if (mode === 'quick') {
    // About a minute and a half with the main servers: two rounds of short
    // windows after a warm-up long enough for V8 to compile the hot path
    // (0.3 s left netpoll's JavaScript half-optimised), one idle round
    // (node:net takes seconds to accept a few thousand connections).
    // rt-1000x64 keeps full mode's 3 s window: its 10 ms timer's lateness
    // p99 (the fairness figure) needs a few hundred samples; from a 1 s window
    // (~100 of them) it was nearly the maximum, 3–38 ms between reruns.
    const t: Timing = { warmup: 1, duration: 1 };
    return [
      echo('rt-100x64', 100, 64, t),
      echo('rt-1000x64', 1000, 64, { warmup: 1, duration: 3 }),
      echo('lat-1x64', 1, 64, t, { metrics: latencyFirst(), ratioMetrics: ['p99_us', 'cpu_us_per_rt'] }),
      idle([1000, 5000], true, 1),
    ];
  }
  const t: Timing = { warmup: 1, duration: 3 };
  return [
    echo('lat-1x64', 1, 64, t, { metrics: latencyFirst(), ratioMetrics: ['p99_us', 'cpu_us_per_rt'] }),
    echo('rt-100x64', 100, 64, t),
    echo('rt-1000x64', 1000, 64, t),
    echo('mb-100x16k', 100, 16 * 1024, t, { servers: BULK_SERVERS, metrics: ['mb_per_s', 'cpu_us_per_rt', 'user_us_per_rt', 'rt_per_s', 'p50_us', 'p99_us', 'timer_p99_ms', 'loadgen_cpu_pct'] }),
    bulk(1 << 30),
    idle([2000, 10000], false),
    idle([2000, 10000], true),
    burst(1000),
    deadline(100, t),
    workers(100, t),
  ];
}

function latencyFirst(): MetricKey[] {
  return ['p50_us', 'p99_us', 'p999_us', 'rt_per_s', 'cpu_us_per_rt', 'user_us_per_rt'];
}

/** `--idle N`: only the idle scenarios, from N/5 (at most 2,000) to N. */
export function idleOnly(n: number): Scenario[] {
  const low = Math.max(1, Math.min(2000, Math.floor(n / 5)));
  return [idle([low, n], false), idle([low, n], true)];
}

/** Scenarios with a harness of their own (their own load generator and servers), run on their own. */
export const STANDALONE_SCENARIOS: readonly { id: string; title: string; command: string }[] = [
  { id: 'udp-100x64', title: '64 B UDP request/response, 100 flows: netpoll vs node:dgram vs Go vs C, batches apart', command: 'node --import tsx bench/udp/run.ts' },
  { id: 'http-100', title: 'node:http over netpoll (serveHttp) vs plain node:http, 100 keep-alive conns, small response (autocannon load)', command: 'node --import tsx bench/http/run.ts' },
];
