// UDP request/response: 64-byte datagrams, 100 flows each with one request
// in flight, against netpoll's PacketConn, node:dgram, Go and C. Servers on
// core 0, the C load generator (loadgen-udp.c) on core 1; servers
// interleaved A B C D, A B C D, … for each round; medians reported. The
// headline is the server's CPU per round trip (one datagram in, one out),
// read from /proc/PID/stat by the load generator over the measured window.
// Batched servers (recvmmsg/sendmmsg) are a separate table.
//
//   node --import tsx bench/udp/run.ts [--quick | --smoke] [--rounds R] [--flows N]
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SHARED_HEADER } from '../lib/build.ts';
import { writeStandaloneResults } from '../lib/standalone-results.ts';
import { BENCH_DIR, BUILD_DIR, LOADGEN_CPUS, SERVER_CPUS } from '../lib/paths.ts';

const HERE = resolve(BENCH_DIR, 'udp');

interface Args { warmup: number; duration: number; rounds: number; flows: number; size: number; smoke: boolean }

function parse(argv: string[]): Args {
  const a: Args = { warmup: 1, duration: 3, rounds: 3, flows: 100, size: 64, smoke: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') Object.assign(a, { warmup: 1, duration: 1.5, rounds: 2 });
    else if (k === '--smoke') Object.assign(a, { warmup: 0.2, duration: 0.3, rounds: 1, smoke: true });
    else if (k === '--rounds') a.rounds = Number(argv[++i]);
    else if (k === '--flows') a.flows = Number(argv[++i]);
    else throw new Error(`unknown argument ${String(k)}`);
  }
  return a;
}

function hashed(src: string, name: string): string {
  return join(BUILD_DIR, `${name}-${createHash('sha256').update(readFileSync(src)).update(readFileSync(SHARED_HEADER)).digest('hex').slice(0, 12)}`);
}

function buildC(name: string, file: string): string {
  const src = join(HERE, file);
  const out = hashed(src, name);
  if (!existsSync(out)) {
    execFileSync('cc', ['-O2', '-Wall', '-o', `${out}.tmp`, src], { stdio: 'inherit' });
    renameSync(`${out}.tmp`, out);
  }
  return out;
}

function buildGo(): string | null {
  if (spawnSync('go', ['version']).status !== 0) return null;
  const src = join(HERE, 'echo-udp.go');
  const out = hashed(src, 'echo-udp-go');
  if (!existsSync(out)) {
    const env: NodeJS.ProcessEnv = { ...process.env, CGO_ENABLED: '0', GO111MODULE: 'off' };
    if (!env['GOCACHE'] && !env['HOME']) env['GOCACHE'] = join(BUILD_DIR, 'gocache');
    execFileSync('go', ['build', '-o', `${out}.tmp`, src], { stdio: 'inherit', env, cwd: BUILD_DIR });
    renameSync(`${out}.tmp`, out);
  }
  return out;
}

interface Server { id: string; label: string; batch: boolean; unix?: boolean; cmd: string; args: string[]; env?: NodeJS.ProcessEnv }

const UNIX_PATH = join(tmpdir(), `netpoll-bench-udp-${process.pid}.sock`);

function servers(goBin: string | null, cBin: string): Server[] {
  const node = (file: string, extra: string[] = []): [string, string[]] => [process.execPath, ['--import', 'tsx', join(HERE, file), '127.0.0.1:0', ...extra]];
  const list: Server[] = [
    { id: 'node-dgram', label: 'node:dgram', batch: false, ...cmd(node('echo-dgram.ts')) },
    { id: 'netpoll', label: 'netpoll readFromInto/writeTo', batch: false, ...cmd(node('echo-netpoll.ts')) },
    { id: 'netpoll-await', label: 'netpoll readFromInto/await writeTo', batch: false, ...cmd(node('echo-netpoll.ts', ['--await'])) },
    { id: 'c', label: 'C recvfrom/sendto', batch: false, cmd: cBin, args: ['127.0.0.1:0'] },
    { id: 'netpoll-batch', label: 'netpoll readBatch/writeBatch', batch: true, ...cmd(node('echo-netpoll.ts', ['--batch'])) },
    { id: 'c-mmsg', label: 'C recvmmsg/sendmmsg', batch: true, cmd: cBin, args: ['127.0.0.1:0', '--mmsg'] },
  ];
  const unix = (id: string, label: string, c: string, a: string[]): Server => ({ id, label, batch: false, unix: true, cmd: c, args: a });
  list.push(unix('netpoll-unixgram', 'netpoll unixgram readFromInto/writeTo', process.execPath, ['--import', 'tsx', join(HERE, 'echo-netpoll.ts'), `unix:${UNIX_PATH}`]));
  list.push(unix('c-unixgram', 'C unixgram recvfrom/sendto', cBin, [`unix:${UNIX_PATH}`]));
  if (goBin) list.splice(2, 0, { id: 'go', label: 'Go ReadFromUDPAddrPort', batch: false, cmd: goBin, args: ['127.0.0.1:0'], env: { ...process.env, GOMAXPROCS: '1' } });
  return list;
}

function cmd([c, a]: [string, string[]]): { cmd: string; args: string[] } { return { cmd: c, args: a }; }

function start(s: Server): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn('taskset', ['-c', SERVER_CPUS, s.cmd, ...s.args], { stdio: ['ignore', 'pipe', 'inherit'], env: s.env ?? process.env });
  return new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`${s.id} did not start`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (unix:\S+|[^\s]*:(\d+))/.exec(out);
      if (m) { clearTimeout(t); res({ child, port: m[2] === undefined ? 0 : Number(m[2]) }); }
    });
    child.on('exit', (c) => { clearTimeout(t); rej(new Error(`${s.id} exited (${String(c)})`)); });
  });
}

interface Sample { rt: number; secs: number; server_cpu_us: number; loadgen_cpu_us: number; lost: number; mismatch: number }

async function measure(s: Server, loadgen: string, a: Args): Promise<Sample> {
  const { child, port } = await start(s);
  try {
    // taskset execs the server: its PID is the server's own.
    const r = spawnSync('taskset', ['-c', LOADGEN_CPUS, loadgen, s.unix ? `unix:${UNIX_PATH}` : '127.0.0.1', String(port), String(a.flows), String(a.size),
      String(a.warmup), String(a.duration), String(child.pid)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`loadgen failed for ${s.id} (exit ${String(r.status)}): ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout.trim()) as Sample;
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    if (s.unix) rmSync(UNIX_PATH, { force: true });
  }
}

const median = (xs: number[]): number => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]!; };

async function main(): Promise<number> {
  const a = parse(process.argv.slice(2));
  mkdirSync(BUILD_DIR, { recursive: true });
  const loadgen = buildC('loadgen-udp', 'loadgen-udp.c');
  const cBin = buildC('echo-udp', 'echo-udp.c');
  let goBin: string | null = null;
  try { goBin = buildGo(); } catch (e) { process.stderr.write(`go build failed: ${(e as Error).message}\n`); }
  if (!goBin) process.stderr.write('skip Go: go not on PATH (apt-get install -y golang-go)\n');
  const list = servers(goBin, cBin);
  const samples = new Map<string, Sample[]>(list.map((s) => [s.id, []]));
  let failed = 0;
  for (let round = 0; round < a.rounds; round++) {
    for (const s of list) {
      try {
        const x = await measure(s, loadgen, a);
        if (x.mismatch > 0) { failed++; process.stderr.write(`${s.id}: ${x.mismatch} mismatched echoes\n`); }
        samples.get(s.id)!.push(x);
        process.stderr.write(`[udp r${round + 1}] ${s.label}: ${(x.rt / x.secs).toFixed(0)} rt/s, ${(x.server_cpu_us / x.rt).toFixed(2)} µs CPU/rt, lost ${x.lost}\n`);
      } catch (e) {
        failed++;
        process.stderr.write(`${s.id}: ${(e as Error).message}\n`);
      }
    }
  }
  const row = (s: Server): { s: Server; rps: number; cpu: number; lg: number; lost: number } | null => {
    const xs = samples.get(s.id)!;
    if (xs.length === 0) return null;
    return { s, rps: median(xs.map((x) => x.rt / x.secs)), cpu: median(xs.map((x) => x.server_cpu_us / x.rt)),
      lg: median(xs.map((x) => (100 * x.loadgen_cpu_us) / 1e6 / x.secs)), lost: xs.reduce((t, x) => t + x.lost, 0) };
  };
  const rows = list.map(row).filter((r) => r !== null);
  const base = rows.find((r) => r.s.id === 'node-dgram');
  const go = rows.find((r) => r.s.id === 'go');
  const lines: string[] = [];
  lines.push(`## UDP request/response: ${a.flows} flows × ${a.size} B, one request in flight per flow`);
  lines.push('');
  lines.push(`${a.rounds} round(s) interleaved, ${a.duration} s windows after ${a.warmup} s warm-up; medians. Server CPU per round trip = one datagram received + one sent.`);
  for (const [batch, unixOnly] of [[false, false], [true, false], [false, true]] as const) {
    lines.push('');
    lines.push(unixOnly ? '### unixgram (same load over AF_UNIX datagram sockets; node:dgram has no unixgram)' : batch ? '### Batched (recvmmsg/sendmmsg)' : '### One datagram per call');
    lines.push('');
    lines.push('| server | round trips/s | server CPU µs / round trip | × node:dgram CPU | × Go CPU | loadgen CPU % | resent |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows.filter((x) => x.s.batch === batch && (x.s.unix ?? false) === unixOnly)) {
      lines.push(`| ${r.s.label} | ${r.rps.toFixed(0)} | ${r.cpu.toFixed(2)} | ${base ? (r.cpu / base.cpu).toFixed(2) : '—'} | ${go ? (r.cpu / go.cpu).toFixed(2) : '—'} | ${r.lg.toFixed(0)} | ${r.lost} |`);
    }
  }
  lines.push('');
  lines.push('Lower CPU ratios are better (goal: netpoll ≤ 0.5× node:dgram and ≤ 1× Go per datagram).');
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  if (!a.smoke) writeStandaloneResults('udp', text, { args: a, samples: Object.fromEntries(samples) });
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
