// npm run soak [-- --seconds N] [--reuse-cycles N] [--interval S]
//
// A long run that must not leak: netpoll clients churn connections against
// two netpoll servers (a readChunk loop with a read deadline, and serve()
// with an idle timeout) — echoes of random sizes checked byte for byte,
// read deadlines that fire, half-closes, idle connections the server times
// out, and node:net peers that reset. Beside it, child processes run the
// fault-injected 1000-connection echo (more frames than the suite) and the
// descriptor reuse race (more cycles than the suite).
//
// Prints, every interval: bytes moved, errors by kind, RSS, the live heap
// after a full GC, and the open descriptor count. Fails (exit 1) if the live
// heap or the descriptor count grows after the warm-up, if an echo comes
// back wrong, if a child scenario fails, or if descriptors are left after
// everything closes. RSS is printed, not judged: it follows V8's reserved
// heap and swings by tens of percent for node:net too.
import { execFile } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dial, listen, serve, type Conn, type Listener } from '../src/net/index.ts';
import { OpError, isClosedError } from '../src/net/errors.ts';
import { Netpoll } from '../src/netpoll/index.ts';
import { readFull } from '../test/helpers/net.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!(v >= 0)) { console.error(`soak: ${name} needs a number`); process.exit(2); }
  return v;
}
const SECONDS = arg('--seconds', 600);
const INTERVAL = arg('--interval', Math.max(2, Math.min(30, Math.round(SECONDS / 20))));
const WARMUP = Math.max(INTERVAL * 2, SECONDS * 0.25);
// The full 10^5 per backend/driver/dup combination: --reuse-cycles 100000.
const REUSE_CYCLES = arg('--reuse-cycles', Math.max(200, Math.round(SECONDS * 20)));
const CLIENTS = 100;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) { console.error('soak: run with node --expose-gc (npm run soak does)'); process.exit(2); }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const failures: string[] = [];
const errors: Record<string, number> = {};
let bytes = 0, connections = 0, timeouts = 0;
function count(e: unknown): void {
  const k = e instanceof OpError ? e.code : (e as { code?: string })?.code ?? (e as Error)?.name ?? String(e);
  errors[k] = (errors[k] ?? 0) + 1;
}

function fdCount(): number { return readdirSync('/proc/self/fd').length; }
function socketFds(): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try { const t = readlinkSync(`/proc/self/fd/${fd}`); if (!t.startsWith('/')) out.add(`${fd} ${t}`); } catch { /* gone */ }
  }
  return out;
}

// ---- servers ----------------------------------------------------------------
async function echoConn(conn: Conn): Promise<void> {
  try {
    for (;;) {
      conn.setReadDeadline(Date.now() + 2000);
      const c = await conn.readChunk();
      if (c === null) break;
      await conn.write(c);
    }
  } catch (e) { count(e); } finally { await conn.close(); }
}
async function acceptLoop(ln: Listener): Promise<void> {
  for (;;) {
    try { void echoConn(await ln.accept()); } catch (e) {
      if (isClosedError(e)) return;
      count(e);
      await sleep(5);
    }
  }
}

// ---- clients ----------------------------------------------------------------
let seed = 12345;
function rand(): number { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296; }


async function oneConnection(addrs: string[]): Promise<void> {
  const kind = rand();
  const addr = addrs[Math.floor(rand() * addrs.length)]!;
  if (kind < 0.1) {
    // A node:net peer that sends a little and resets (SO_LINGER 0).
    await new Promise<void>((resolve) => {
      const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
      const s = connect({ host, port });
      s.on('error', () => {});
      s.on('close', () => resolve());
      s.on('connect', () => { s.write(new Uint8Array(1 + Math.floor(rand() * 4096))); setTimeout(() => s.resetAndDestroy(), rand() * 20); });
    });
    connections++;
    return;
  }
  const c = await dial('tcp', addr);
  connections++;
  try {
    if (kind < 0.2) {
      // A read deadline that fires (the server sends nothing unasked).
      c.setReadDeadline(Date.now() + 5 + rand() * 20);
      try { await c.read(new Uint8Array(16)); failures.push('a read past its deadline returned'); } catch (e) {
        if ((e as OpError).timeout) timeouts++; else throw e;
      }
    } else if (kind < 0.25) {
      // Half-close: everything sent comes back, then EOF.
      const msg = new Uint8Array(1 + Math.floor(rand() * 32768)).map((_, i) => i * 7);
      await c.write(msg);
      c.closeWrite();
      const got = await readFull(c, msg.length);
      if (Buffer.compare(got, msg) !== 0) failures.push('half-close echo differs');
      if (await c.read(new Uint8Array(1)) !== null) failures.push('no EOF after half-close echo');
      bytes += msg.length * 2;
    } else {
      for (let i = 0, n = 1 + Math.floor(rand() * 8); i < n; i++) {
        const msg = new Uint8Array(1 + Math.floor(rand() ** 3 * 65536));
        for (let j = 0; j < msg.length; j += 97) msg[j] = (i + j) & 0xff;
        await c.write(msg);
        const got = await readFull(c, msg.length);
        if (Buffer.compare(got, msg) !== 0) failures.push(`echo of ${msg.length} bytes differs`);
        bytes += msg.length * 2;
      }
    }
  } catch (e) { count(e); } finally { await c.close(); }
}

let running = true;
async function clientLoop(addrs: string[]): Promise<void> {
  while (running) {
    try { await oneConnection(addrs); } catch (e) { count(e); }
  }
}

// ---- child scenarios ------------------------------------------------------------
const childResults: string[] = [];
function child(script: string, params: object, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const path = fileURLToPath(new URL(`../test/fault/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', path, JSON.stringify(params)], { env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 1_800_000 },
      (err, stdout, stderr) => {
        if (err) { reject(new Error(`${script} ${JSON.stringify(params)}: ${err.message}\n${stderr.slice(-2000)}`)); return; }
        try { resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>); } catch (e) { reject(e); }
      });
  });
}

async function childScenarios(deadline: number): Promise<void> {
  const modes = ['chunk', 'read', 'writev', 'serve'];
  const combos: { backend: string; driver: string; dup: boolean }[] = [];
  for (const backend of ['epoll', 'kqueue']) for (const driver of ['loop', 'worker']) for (const dup of [false, true]) combos.push({ backend, driver, dup });
  for (const c of combos) {
    try {
      const r = await child('reuse-scenario.ts', { ...c, cycles: REUSE_CYCLES });
      const line = `reuse ${c.backend}/${c.driver}${c.dup ? '/dup' : ''}: ${REUSE_CYCLES} cycles, reused ${String(r['reused'])}, window hit ${String(r['windowHits'])}, misdelivered ${String(r['misdelivered'])}`;
      childResults.push(line);
      console.log(`soak: ${line}`);
      if (r['misdelivered'] !== 0) failures.push(line);
    } catch (e) { failures.push(String(e)); }
  }
  for (let i = 0; Date.now() < deadline - 20_000; i++) {
    const mode = modes[i % modes.length]!, backend = i % 2 === 0 ? 'epoll' : 'kqueue', s = 100 + i;
    try {
      const r = await child('echo-scenario.ts', { mode, conns: 1000, frames: 8, seed: s, backend, driver: i % 3 === 0 ? 'worker' : 'loop' },
        { NETPOLL_FAULTS: `seed=${s},eintr=0.1,eagain=0.1,short=0.4,reset=0.0005,emfile=0.05,closeintr=0.01` });
      const bad = (r['errors'] as unknown[]).length > 0 || (r['leaked'] as unknown[]).length > 0 || r['settled'] !== r['started'] ||
        (r['complete'] as number) + (r['broken'] as number) !== 1000;
      const line = `fault echo ${mode}/${backend}: ${String(r['bytesChecked'])} bytes checked, ${String(r['broken'])} reset, faults ${JSON.stringify(r['faults'])}`;
      childResults.push(line);
      console.log(`soak: ${line}`);
      if (bad) failures.push(`${line}: ${JSON.stringify(r)}`);
    } catch (e) { failures.push(String(e)); }
  }
}

// ---- main -----------------------------------------------------------------------
interface Sample { t: number; heap: number; rss: number; fds: number; bytes: number }

async function main(): Promise<void> {
  const before = socketFds();
  const t0 = Date.now();
  const lnA = await listen('tcp', '127.0.0.1:0');
  const lnB = await listen('tcp', '127.0.0.1:0');
  const servingA = acceptLoop(lnA);
  const servingB = serve(lnB, {
    onData(c, chunk) { c.write(chunk); },
    onError(_c, e) { count(e); },
  }, { readDeadlineMs: 1000 });
  const addrs = [String(lnA.addr), String(lnB.addr)];
  const clients = Array.from({ length: CLIENTS }, () => clientLoop(addrs));
  const children = childScenarios(t0 + SECONDS * 1000);

  const samples: Sample[] = [];
  console.log(`soak: ${SECONDS} s, sample every ${INTERVAL} s, warm-up ${Math.round(WARMUP)} s, ${CLIENTS} client loops, reuse ${REUSE_CYCLES} cycles per combination`);
  console.log('   t(s)   bytes(MB)  conns   timeouts   rss(MB)  heap(MB)   fds  errors');
  while (Date.now() - t0 < SECONDS * 1000) {
    await sleep(INTERVAL * 1000);
    gc!();
    const m = process.memoryUsage();
    const s: Sample = { t: (Date.now() - t0) / 1000, heap: m.heapUsed, rss: m.rss, fds: fdCount(), bytes };
    samples.push(s);
    console.log(`${s.t.toFixed(0).padStart(7)} ${(bytes / 1e6).toFixed(1).padStart(11)} ${String(connections).padStart(6)} ${String(timeouts).padStart(10)} ${(s.rss / 1048576).toFixed(1).padStart(9)} ${(s.heap / 1048576).toFixed(2).padStart(9)} ${String(s.fds).padStart(5)}  ${JSON.stringify(errors)}`);
  }
  running = false;
  await Promise.all(clients);
  await children;
  await lnA.close();
  await lnB.close();
  await servingA;
  await servingB;
  Netpoll.current().shutdown();   // the thread's own poller, which dial and listen used
  await sleep(200);

  // Growth after the warm-up: the last third against the first third (medians of the heap, maxima of descriptors).
  const post = samples.filter((s) => s.t >= WARMUP);
  if (post.length >= 3) {
    const third = Math.max(1, Math.floor(post.length / 3));
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const heapEarly = median(post.slice(0, third).map((s) => s.heap)), heapLate = median(post.slice(-third).map((s) => s.heap));
    const fdEarly = Math.max(...post.slice(0, third).map((s) => s.fds)), fdLate = Math.max(...post.slice(-third).map((s) => s.fds));
    console.log(`soak: live heap after GC ${(heapEarly / 1048576).toFixed(2)} -> ${(heapLate / 1048576).toFixed(2)} MB; descriptors (max) ${fdEarly} -> ${fdLate}`);
    if (heapLate > heapEarly * 1.2 + 4 * 1048576) failures.push(`live heap grew after warm-up: ${heapEarly} -> ${heapLate}`);
    // Connections in flight hold up to ~2 descriptors per client loop, plus a child scenario's pipes.
    if (fdLate > fdEarly + CLIENTS) failures.push(`descriptor count grew after warm-up: ${fdEarly} -> ${fdLate}`);
  } else {
    console.log('soak: too short to judge growth (fewer than 3 samples after the warm-up)');
  }
  const left = [...socketFds()].filter((x) => !before.has(x));
  if (left.length > 0) failures.push(`descriptors left after everything closed: ${left.slice(0, 10).join(', ')}`);
  console.log(`soak: ${(bytes / 1e6).toFixed(1)} MB moved over ${connections} connections, ${timeouts} deadlines fired; errors ${JSON.stringify(errors)}`);
  if (failures.length > 0) {
    for (const f of failures.slice(0, 20)) console.log(`soak: FAIL ${f}`);
    process.exit(1);
  }
  console.log('soak: ok');
  process.exit(0);
}

await main();
