// HTTP: node:http over netpoll (serveHttp) vs plain node:http. 100
// keep-alive connections asking for a small response, load from wrk (C, from
// Debian, when installed) or else autocannon (a devDependency) on core 1,
// servers on core 0, interleaved A B, A B, …; medians reported. The headline
// is the server's CPU per request, read from /proc/PID/stat over the measured
// window; p99 latency beside it.
//
//   node --import tsx bench/http/run.ts [--quick | --smoke] [--rounds R] [--conns N] [--load wrk|autocannon]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { writeStandaloneResults } from '../lib/standalone-results.ts';
import { BENCH_DIR, LOADGEN_CPUS, SERVER_CPUS } from '../lib/paths.ts';
import { cpuMicros } from '../lib/proc-stat.ts';

type Load = 'wrk' | 'autocannon';
interface Args { warmup: number; duration: number; rounds: number; conns: number; smoke: boolean; load: Load }

/** wrk when it is installed: C, so the load generator is less often the bottleneck than autocannon. */
const hasWrk = spawnSync('wrk', ['-v']).error === undefined;

function parse(argv: string[]): Args {
  const a: Args = { warmup: 2, duration: 5, rounds: 3, conns: 100, smoke: false, load: hasWrk ? 'wrk' : 'autocannon' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') Object.assign(a, { warmup: 2, duration: 3, rounds: 2 });
    else if (k === '--smoke') Object.assign(a, { warmup: 1, duration: 1, rounds: 1, smoke: true });
    else if (k === '--rounds') a.rounds = Number(argv[++i]);
    else if (k === '--conns') a.conns = Number(argv[++i]);
    else if (k === '--load') {
      const l = argv[++i];
      if (l !== 'wrk' && l !== 'autocannon') throw new Error(`--load takes wrk or autocannon, got ${String(l)}`);
      if (l === 'wrk' && !hasWrk) throw new Error('--load wrk: wrk is not installed (apt-get install wrk)');
      a.load = l;
    }
    else throw new Error(`unknown argument ${String(k)}`);
  }
  return a;
}

interface Server { id: string; label: string; file: string }
const SERVERS: Server[] = [
  { id: 'node-http', label: 'node:http', file: 'http-node.ts' },
  { id: 'netpoll-http', label: 'node:http on netpoll (serveHttp)', file: 'http-netpoll.ts' },
];

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pinned = (cpus: string, cmd: string, args: string[]): [string, string[]] => (hasTaskset ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args]);

function start(s: Server): Promise<{ child: ChildProcess; port: number }> {
  const [cmd, args] = pinned(SERVER_CPUS, process.execPath, ['--import', 'tsx', resolve(BENCH_DIR, 'servers', s.file), '127.0.0.1:0']);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`${s.id} did not start`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s]*:(\d+)/.exec(out);
      if (m) { clearTimeout(t); res({ child, port: Number(m[1]) }); }
    });
    child.on('exit', (c) => { clearTimeout(t); rej(new Error(`${s.id} exited (${String(c)})`)); });
  });
}

/** What one load window gave: completed requests, latency percentiles in ms, failed requests. */
interface LoadResult { requests: number; p50: number; p99: number; errors: number }

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (c) => { if (c === 0) res(out); else rej(new Error(`${args[0] ?? cmd} exited ${String(c)}`)); });
  });
}

/** autocannon in its own process (its CPU is not the server's), keep-alive connections. */
async function autocannon(port: number, conns: number, secs: number): Promise<LoadResult> {
  const [cmd, args] = pinned(LOADGEN_CPUS, process.execPath, [AUTOCANNON, '-c', String(conns), '-d', String(secs), '-j', `http://127.0.0.1:${port}/`]);
  const r = JSON.parse(await run(cmd, args)) as { requests: { total: number }; latency: { p99: number; p50: number }; non2xx: number; errors: number; timeouts: number };
  return { requests: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx };
}

const WRK_UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** A wrk duration ("812.00us", "3.76ms", "1.02s") in ms. */
function wrkMs(text: string, label: string): number {
  const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
  if (!m) throw new Error(`wrk: no ${label} latency in its output`);
  return Number(m[1]) * WRK_UNIT[m[2]!]!;
}

/** wrk (one thread: the load generator has one core), keep-alive connections, latency percentiles. */
async function wrk(port: number, conns: number, secs: number): Promise<LoadResult> {
  const [cmd, args] = pinned(LOADGEN_CPUS, 'wrk', ['-t1', `-c${conns}`, `-d${secs}s`, '--latency', `http://127.0.0.1:${port}/`]);
  const out = await run(cmd, args);
  const total = /^\s*(\d+) requests in/m.exec(out);
  if (!total) throw new Error('wrk: no request count in its output');
  const non2xx = /Non-2xx or 3xx responses:\s*(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = (non2xx ? Number(non2xx[1]) : 0) + (sock ? Number(sock[1]) + Number(sock[3]) + Number(sock[4]) : 0);
  return { requests: Number(total[1]), p50: wrkMs(out, '50%'), p99: wrkMs(out, '99%'), errors };
}

const load = (a: Args, port: number, secs: number): Promise<LoadResult> => (a.load === 'wrk' ? wrk : autocannon)(port, a.conns, secs);

interface Sample { reqs: number; secs: number; cpuUs: number; p50: number; p99: number; errors: number }

async function measure(s: Server, a: Args): Promise<Sample> {
  const { child, port } = await start(s);
  try {
    // The server's PID (taskset execs it); warm-up first so V8 has compiled the hot path.
    await load(a, port, a.warmup);
    const pid = child.pid!;
    const cpu0 = cpuMicros(pid)!;
    const t0 = performance.now();
    const r = await load(a, port, a.duration);
    const secs = (performance.now() - t0) / 1000;
    const cpu1 = cpuMicros(pid)!;
    return { reqs: r.requests, secs, cpuUs: cpu1 - cpu0, p50: r.p50, p99: r.p99, errors: r.errors };
  } finally {
    child.kill('SIGKILL');
  }
}

const median = (xs: number[]): number => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]!; };

async function main(): Promise<number> {
  const a = parse(process.argv.slice(2));
  const samples = new Map<string, Sample[]>(SERVERS.map((s) => [s.id, []]));
  let failed = 0;
  for (let round = 0; round < a.rounds; round++) {
    for (const s of SERVERS) {
      try {
        const x = await measure(s, a);
        if (x.errors > 0) { failed++; process.stderr.write(`${s.id}: ${x.errors} errors\n`); }
        samples.get(s.id)!.push(x);
        process.stderr.write(`[http r${round + 1}] ${s.label}: ${(x.reqs / x.secs).toFixed(0)} req/s, ${(x.cpuUs / x.reqs).toFixed(2)} µs CPU/req, p99 ${x.p99} ms\n`);
      } catch (e) {
        failed++;
        process.stderr.write(`${s.id}: ${(e as Error).message}\n`);
      }
    }
  }
  const rows = SERVERS.map((s) => {
    const xs = samples.get(s.id)!;
    if (xs.length === 0) return null;
    return { s, rps: median(xs.map((x) => x.reqs / x.secs)), cpu: median(xs.map((x) => x.cpuUs / x.reqs)), p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)) };
  }).filter((r) => r !== null);
  const base = rows.find((r) => r.s.id === 'node-http');
  const lines = [
    `## HTTP: ${a.conns} keep-alive connections, 12-byte response (${a.load} load)`,
    '',
    `${a.rounds} round(s) interleaved, ${a.duration} s windows after ${a.warmup} s warm-up; medians. Server CPU per request from /proc over the window.`,
    '',
    '| server | requests/s | server CPU µs / request | × node:http CPU | p50 ms | p99 ms |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.s.label} | ${r.rps.toFixed(0)} | ${r.cpu.toFixed(2)} | ${base ? (r.cpu / base.cpu).toFixed(2) : '—'} | ${r.p50} | ${r.p99} |`),
    '',
    `Lower CPU ratio is better (goal: ≤ 0.85× node:http per request, p99 no worse). ${a.load === 'wrk' ? 'wrk runs one thread on the load core' : 'autocannon is JavaScript: on a 2-core machine it may be the bottleneck'}; requests/s says as much about the load generator as about the server, CPU per request is the efficiency figure.`,
  ];
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  if (!a.smoke) writeStandaloneResults('http', text, { args: a, samples: Object.fromEntries(samples) });
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
