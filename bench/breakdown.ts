// Where a round trip's cost goes, per server: system calls counted by the
// kernel's tracepoints (perf stat -e 'syscalls:sys_enter_*') and, for the
// Node servers, JavaScript self time by function (node --cpu-prof).
//
//   node --import tsx bench/breakdown.ts [--conns 1,100] [--count N] [--servers id,id] [--no-prof]
//
// Per server and connection count: a fresh server pinned to the server core,
// a warm-up run of the load generator (V8 compiles the hot path), then a
// counted run of exactly N round trips with perf attached to the server.
// Figures are per round trip. Needs `perf` with tracepoint access; without it
// only the CPU profile is taken.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildAll } from './lib/build.ts';
import { installExitHandlers, killAll } from './lib/children.ts';
import { runLoadgen } from './lib/loadgen.ts';
import { BENCH_DIR, SERVER_CPUS } from './lib/paths.ts';
import { freePort } from './lib/ports.ts';
import { SERVERS, type ServerDef, type ServerId } from './lib/servers.ts';
import { startServer } from './lib/spawn-server.ts';

interface Options { conns: number[]; count: number; servers: ServerId[]; prof: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { conns: [1, 100], count: 100_000, servers: ['c-epoll', 'go', 'node-net', 'netpoll', 'netpoll-handler'], prof: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--conns' && v) { o.conns = v.split(',').map(Number); i++; }
    else if (a === '--count' && v) { o.count = Number(v); i++; }
    else if (a === '--servers' && v) { o.servers = v.split(',') as ServerId[]; i++; }
    else if (a === '--no-prof') o.prof = false;
    else throw new Error(`unknown argument ${String(a)}`);
  }
  return o;
}

const PROFILE_HOOK = pathToFileURL(resolve(BENCH_DIR, 'breakdown/profile-hook.ts')).href;

/** perf stat attached to pid until stop(): counts per system call name. */
// The calls an echo server makes; every other one lands in "other" (the
// total comes from raw_syscalls). Attaching all ~700 tracepoints slows the
// server several times over.
const CALLS = ['read', 'write', 'readv', 'writev', 'recvfrom', 'sendto', 'recvmsg', 'sendmsg', 'epoll_wait',
  'epoll_pwait', 'epoll_pwait2', 'epoll_ctl', 'poll', 'ppoll', 'futex', 'nanosleep', 'clock_nanosleep',
  'sched_yield', 'mmap', 'munmap', 'madvise', 'mprotect', 'brk', 'accept4', 'close', 'setsockopt',
  'getsockopt', 'ioctl', 'fcntl', 'rt_sigprocmask', 'getpid', 'tgkill', 'rt_sigreturn', 'getrusage'];

function perfSyscalls(pid: number): { stop(): Promise<Map<string, number> | null> } {
  const events = ['raw_syscalls:sys_enter', ...CALLS.map((c) => `syscalls:sys_enter_${c}`)].join(',');
  const child = spawn('perf', ['stat', '-x', ',', '-e', events, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => { err += s; });
  child.on('error', () => undefined);
  return {
    stop: () => new Promise((res) => {
      child.once('close', () => {
        const m = new Map<string, number>();
        for (const line of err.split('\n')) {
          const f = line.split(',');
          const name = (f[2] ?? '') === 'raw_syscalls:sys_enter' ? 'total' : /syscalls:sys_enter_(\w+)/.exec(f[2] ?? '')?.[1];
          const n = Number(f[0]);
          if (name && n > 0) m.set(name, n);
        }
        res(m.size ? m : null);
      });
      child.kill('SIGINT');
    }),
  };
}

interface ProfNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface Profile { nodes: ProfNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** Microseconds outside (idle), and self time by function, largest first. */
function selfTimes(p: Profile): [number, Array<[string, number]>] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const t = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!)!;
    const d = p.timeDeltas[i] ?? 0;
    const file = n.callFrame.url.replace(/^.*\/(src|bench|examples|node_modules)\//, '$1/').replace(/^node:/, '');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${file ? `${file}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
    t.set(key, (t.get(key) ?? 0) + d);
    total += d;
  }
  t.delete('(idle)');
  return [total - (p.timeDeltas.length ? idle(p, byId) : 0), [...t.entries()].sort((a, b) => b[1] - a[1])];
}

function idle(p: Profile, byId: Map<number, ProfNode>): number {
  let s = 0;
  for (let i = 0; i < p.samples.length; i++) if (byId.get(p.samples[i]!)!.callFrame.functionName === '(idle)') s += p.timeDeltas[i] ?? 0;
  return s;
}

async function measure(def: ServerDef, conns: number, o: Options, built: ReturnType<typeof buildAll>): Promise<void> {
  const isNode = def.launch('127.0.0.1:1', built).cmd === process.execPath;
  const profDir = mkdtempSync(join(tmpdir(), 'breakdown-'));
  const profFile = join(profDir, 'window.cpuprofile');
  const prof = o.prof && isNode;
  const d: ServerDef = !prof ? def : {
    ...def,
    launch: (a, b) => {
      const l = def.launch(a, b);
      const at = l.args.indexOf('tsx') + 1; // after `--import tsx`: the hook is TypeScript
      return { ...l, env: { ...l.env, BREAKDOWN_PROFILE: profFile },
        args: [...l.args.slice(0, at), '--import', PROFILE_HOOK, ...l.args.slice(at)] };
    },
  };
  const port = await freePort();
  const srv = await startServer(d, port, SERVER_CPUS, built);
  try {
    const common = ['--mode', 'echo', '--addr', srv.address, '--conns', String(conns), '--size', '64'];
    // The warm-up's own window gives the CPU figure: perf's tracepoints slow the counted run.
    const w = await runLoadgen(built, [...common, '--warmup', '1', '--duration', '1.5', '--pid', String(srv.pid)], 60_000);
    const perf = perfSyscalls(srv.pid);
    await new Promise((r) => setTimeout(r, 300)); // perf attached
    const r = await runLoadgen(built, [...common, '--warmup', '0', '--count', String(o.count), '--pid', String(srv.pid)], 120_000);
    const counts = await perf.stop();
    if (!r.ok) throw new Error(`${def.id}: loadgen failed: ${r.error ?? ''}`);
    const rts = Number(r['round_trips'] ?? o.count);
    const cpu = Number(w['server_cpu_us_per_rt']);
    const head = `${def.label} × ${conns} conn${conns > 1 ? 's' : ''}: ${rts} round trips, server CPU ${cpu.toFixed(2)} µs/rt (unprofiled warm-up window: ${String(w['rt_per_s'])} rt/s, p99 ${String(w['p99_us'])} µs)`;
    console.log(`\n### ${head}`);
    if (counts) {
      const tot = counts.get('total') ?? 0;
      counts.delete('total');
      const other = tot - [...counts.values()].reduce((a, b) => a + b, 0);
      if (other > 0) counts.set('other', other);
      const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).filter(([, n]) => n / rts >= 0.005)
        .map(([k, n]) => `${k} ${(n / rts).toFixed(2)}`);
      console.log(`syscalls/rt ${(tot / rts).toFixed(2)}: ${parts.join(', ')}`);
    } else console.log('syscalls: perf stat unavailable');
    if (prof) {
      // A second counted run with the profiler on (its sampling signals would skew the counts above).
      process.kill(srv.pid, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 200));
      const pr = await runLoadgen(built, [...common, '--warmup', '0', '--count', String(o.count)], 120_000);
      await srv.stop();
      const prts = Number(pr['round_trips'] ?? o.count);
      if (existsSync(profFile)) {
        const p = JSON.parse(readFileSync(profFile, 'utf8')) as Profile;
        const [busy, rows] = selfTimes(p);
        console.log(`JS profile over ${prts} round trips: ${(busy / prts).toFixed(2)} µs/rt outside (idle); self time µs/rt by function:`);
        for (const [k, v] of rows.slice(0, 16)) console.log(`  ${(v / prts).toFixed(2).padStart(6)}  ${k}`);
      }
    }
  } finally {
    await srv.stop();
    rmSync(profDir, { recursive: true, force: true });
  }
}

const o = parseArgs(process.argv.slice(2));
installExitHandlers();
if (spawnSync('perf', ['--version']).status !== 0) console.log('note: perf not found, no system call counts');
const built = buildAll();
try {
  for (const c of o.conns) for (const id of o.servers) {
    const def = SERVERS[id];
    if (def.missing(built)) { console.log(`skip ${id}: ${def.missing(built)}`); continue; }
    await measure(def, c, o, built);
  }
} finally {
  killAll();
}
