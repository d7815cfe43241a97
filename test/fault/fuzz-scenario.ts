// A fuzz of the public API with hostile arguments, run in a child process so
// that a crash is a failure with a name: closed, negative, huge, non-integer
// and the poller's own descriptors; detached and shared buffers and every
// view type; deadlines of every type; addresses of every shape. Each call
// must succeed or fail with a clear error: the library's own TypeError or
// RangeError, an error with a string `code`, or an abort signal's reason. Prints one JSON
// line: calls made, outcomes, and every unclear failure (call, arguments,
// error).
//
//   node --import tsx test/fault/fuzz-scenario.ts '{"seed":1,"iterations":3000}'
import { openSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dial, listen, serve, type Conn, type Listener } from '../../src/index.ts';
import { createPoller } from '../../src/poller/index.ts';
import { FD, Netpoll } from '../../src/runtime.ts';
import { socketPair } from '../helpers/fds.ts';
import { close as sysClose } from '../../src/sys/libc.ts';
import { prng } from './frames.ts';

const p = JSON.parse(process.argv[2] ?? '{}') as { seed: number; iterations: number };
const rand = prng(p.seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- hostile values ---------------------------------------------------------------
function detached(): Uint8Array {
  const ab = new ArrayBuffer(16);
  const v = new Uint8Array(ab);
  structuredClone(ab, { transfer: [ab] });
  return v;
}
function closedFd(): number {
  const [a, b] = socketPair();
  sysClose(a); sysClose(b);
  return a;
}
function anonFds(): Set<number> {
  const out = new Set<number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try { if (/eventpoll|eventfd/.test(readlinkSync(`/proc/self/fd/${fd}`))) out.add(Number(fd)); } catch { /* gone */ }
  }
  return out;
}
// Node's own loop has an epoll and an eventfd too; closing those is not the library's to prevent.
const nodeOwn = anonFds();
/** The library's pollers' own descriptors (epoll, eventfd), open now. */
const pollerFds = (): number[] => [...anonFds()].filter((fd) => !nodeOwn.has(fd));
// A regular file and a directory, opened afresh each time (an FD of the fuzz may close one; its
// number must never be used again, since something else may have it by then). Never closed here.
const file = (): number => openSync(new URL(import.meta.url).pathname, 'r');
const dir = (): number => openSync(tmpdir(), 'r');

const fds = (): unknown[] => [-1, -(2 ** 31), 2 ** 31, 2 ** 31 - 1, 2 ** 53, 19_999, 1.5, NaN, Infinity, -0, '5', 5n, null, undefined, {},
  closedFd(), file(), dir(), ...pollerFds()];
/**
 * For FD, which closes what it wraps: not the anonymous descriptors made since start. A Netpoll's
 * own are refused (tested in fd.test.ts), but a worker thread's libuv loop has an epoll and an
 * eventfd too, and closing another's descriptor breaks it (in Go too).
 */
const fdsToWrap = (): unknown[] => { const own = new Set(pollerFds()); return fds().filter((fd) => !own.has(fd as number)); };
const bufs = (): unknown[] => [new Uint8Array(8), new Uint8Array(0), Buffer.alloc(8), new Int8Array(8), new Uint16Array(4), new Int32Array(4),
  new Float32Array(2), new Float64Array(2), new BigInt64Array(2), new BigUint64Array(1), new Uint8ClampedArray(8),
  new DataView(new ArrayBuffer(8)), new Uint8Array(new SharedArrayBuffer(16)), new Int32Array(new SharedArrayBuffer(16)),
  new Uint8Array(new ArrayBuffer(64), 60, 4), detached(), new ArrayBuffer(8), [1, 2, 3], { length: 4 }, 'text', null, undefined, 42];
const nums: unknown[] = [-1, 0, 1, 3, 7, 8, 9, 16, 2 ** 31, 2 ** 32 + 1, 2 ** 53, NaN, Infinity, -Infinity, 1.5, '2', 2n, null, undefined, {}];
const deadlines = (): unknown[] => [0, -1, Date.now() + 5, Date.now() - 5, new Date(), new Date(NaN), new Date(8.64e15), NaN, Infinity, -Infinity,
  1e300, -1e300, 2 ** 53, '100', 10n, {}, [], null, undefined, true, Symbol('d')];
const addrs: unknown[] = ['', ':', ':0', '127.0.0.1', '127.0.0.1:', '127.0.0.1:99999', '127.0.0.1:-1', '127.0.0.1:1.5', '[::1', '[::1]:0',
  '::1:0', '999.1.1.1:80', '1.2.3:80', `${'a'.repeat(300)}:80`, 'local\0host:80', '[fe80::1%nosuchif]:0', '[::1%]:0',
  join(tmpdir(), 'x'.repeat(200)), '@', `@netpoll-fuzz-${process.pid}`, '/', '/nonexistent/dir/sock', 'localhost:0',
  '0.0.0.0:0', '127.0.0.1:0', 123, null, undefined, {}, ['127.0.0.1:0']];
const networks: unknown[] = ['tcp', 'tcp4', 'tcp6', 'unix', 'udp', 'unixgram', 'unixpacket', 'ip', 'bogus', '', 'TCP', null, 5, {}];
const modes: unknown[] = ['r', 'w', 'rw', 'x', '', null, undefined, 1, {}];
const signals = (): unknown[] => [undefined, AbortSignal.abort(), AbortSignal.abort(new Error('mine')), new AbortController().signal, {}, 'sig', null, AbortSignal.timeout(1)];
const optionBags = (): unknown[] => [undefined, null, {}, 5, 'x', { backend: 'bogus' }, { backend: 'kqueue' }, { driver: 'bogus' }, { driver: 'worker' },
  { netpoll: {} }, { netpoll: 'x' }, { timeout: -1 }, { timeout: NaN }, { timeout: 1e300 }, { timeout: '5' }, { deadline: new Date(NaN) },
  { deadline: Date.now() + 20 }, { backlog: -1 }, { backlog: 1.5 }, { backlog: 2 ** 40 }, { keepAlive: -5 }, { keepAlive: Infinity },
  { keepAlive: 40_000_000 }, { noDelay: 'yes' }, { signal: {} }, { signal: AbortSignal.abort() }, { localAddress: 'bogus' },
  { readDeadlineMs: -1 }, { readDeadlineMs: NaN }, { highWaterMark: -1 }, { allowHalfOpen: 'x' }, { reusePort: 1 }];
const describe = (v: unknown): string => {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return v.toString();
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.byteLength}${v.buffer instanceof SharedArrayBuffer ? ', shared' : ''}${v.buffer.byteLength === 0 ? ', detached' : ''})`;
  if (v instanceof Date) return `Date(${v.getTime()})`;
  if (v instanceof AbortSignal) return `AbortSignal(${v.aborted ? 'aborted' : 'live'})`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
};

// ---- judging ------------------------------------------------------------------------
const outcomes = { ok: 0, clear: 0, pending: 0 };
const unclear: string[] = [];
let calls = 0;
let current = '';
const [skipLo, skipHi] = (process.env['FUZZ_SKIP'] ?? '-1--1').split(/(?<=\d)-/).map(Number) as [number, number];

function isClear(e: unknown): boolean {
  // The library's own argument errors say where they come from; a bare one
  // ("Cannot mix BigInt and other types") is an argument that slipped through.
  if ((e instanceof TypeError || e instanceof RangeError) && e.message.startsWith('netpoll')) return true;
  if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string') return true;
  if (e instanceof DOMException && (e.name === 'AbortError' || e.name === 'TimeoutError')) return true;
  if (e instanceof Error && e.message === 'mine') return true;   // the abort reason given
  return false;
}
function judge(name: string, args: unknown[], e: unknown): void {
  if (isClear(e)) { outcomes.clear++; return; }
  const what = e instanceof Error ? `${e.constructor.name}: ${e.message}` : `non-error ${describe(e)}`;
  unclear.push(`${name}(${args.map(describe).join(', ')}) -> ${what}`);
}
/** Calls f; a returned promise gets `waitMs` to settle (a call that waits legitimately is left pending). */
async function attempt(name: string, args: unknown[], f: () => unknown, waitMs = 20): Promise<unknown> {
  calls++;
  current = `${name}(${args.map(describe).join(', ')})`;
  if (process.env['FUZZ_TRACE']) process.stderr.write(`> ${current}\n`);
  let r: unknown;
  // Replaying a failure: FUZZ_SKIP=lo-hi leaves Conn calls numbered lo..hi out (the PRNG stream stays the same).
  if (skipLo <= calls && calls <= skipHi && name.startsWith('Conn.') && name !== 'Conn.close') { outcomes.ok++; return undefined; }
  try { r = f(); } catch (e) { judge(name, args, e); return undefined; }
  if (r instanceof Promise) {
    let done = false;
    const settled = r.then((v) => { done = true; outcomes.ok++; return v; }, (e: unknown) => { done = true; judge(name, args, e); return undefined; });
    const v = await Promise.race([settled, sleep(waitMs).then(() => undefined)]);
    if (!done) outcomes.pending++;
    return v;
  }
  outcomes.ok++;
  return r;
}

process.on('uncaughtException', (e) => { unclear.push(`uncaught during ${current}: ${String(e)}`); if (process.env['FUZZ_TRACE']) process.stderr.write(`${(e as Error).stack}\n`); });
process.on('unhandledRejection', (e) => { unclear.push(`unhandled rejection during ${current}: ${String(e)}`); });

// ---- the calls ------------------------------------------------------------------------
const np = new Netpoll();
let pair: { ln: Listener; a: Conn; b: Conn } | null = null;
/** Closes x; a second close throws the closed error (documented, as Go's Close), expected here. */
async function closeQuiet(x: { close(): Promise<void> }): Promise<void> {
  try { await x.close(); } catch { /* closed already */ }
}
async function conns(): Promise<{ ln: Listener; a: Conn; b: Conn }> {
  if (pair === null || pair.a.closed || pair.b.closed) {
    if (pair) for (const [name, x] of [['a', pair.a], ['b', pair.b], ['listener', pair.ln]] as const) { current = `closing the old pair's ${name}`; await closeQuiet(x); }
    current = 'a new connected pair';
    const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
    const [a, b] = await Promise.all([dial('tcp', String(ln.addr), { netpoll: np }), ln.accept()]);
    pair = { ln, a, b };
  }
  return pair;
}

const toClose: Conn[] = [];
async function step(): Promise<void> {
  const k = Math.floor(rand() * 9);
  if (k === 0) {
    const fd = pick(fds()), mode = pick(modes), d = pick(deadlines()), sig = pick(signals());
    const pd = await attempt('Netpoll.open', [fd], () => np.open(fd as number)) as ReturnType<Netpoll['open']> | undefined;
    if (pd) {
      await attempt('PollDesc.setDeadline', [d, mode], () => pd.setDeadline(d as number, mode as 'r'));
      await attempt('PollDesc.reset', [mode], () => pd.reset(mode as 'r'));
      await attempt('PollDesc.wait', [mode, sig], () => pd.wait(mode as 'r', sig as AbortSignal));
      await attempt('PollDesc.park', [mode, 'a bad parker'], () => pd.park(mode as 'r', {} as never));
      await attempt('Netpoll.close', ['pd'], () => np.close(pd));
      await attempt('PollDesc.wait after close', [mode], () => pd.wait(mode as 'r'));
    }
    await attempt('Netpoll.close', ['not a pd'], () => np.close(pick([null, {}, 5]) as never));
  } else if (k === 1) {
    const fd = pick(fdsToWrap()), opts = pick(optionBags());
    const f = await attempt('new FD', [fd, opts], () => new FD(fd as number, opts as never)) as FD | undefined;
    if (f) {
      const b = pick(bufs()), o = pick(nums), l = pick(nums);
      await attempt('FD.read', [b, o, l], () => f.read(b as Uint8Array, o as number, l as number));
      await attempt('FD.write', [b, o, l], () => f.write(b as Uint8Array, o as number, l as number));
      await attempt('FD.close', [], () => f.close(), 100);
    }
  } else if (k <= 4) {
    const { a, b } = await conns();
    const c = rand() < 0.5 ? a : b;
    if (process.env['FUZZ_TRACE']) process.stderr.write(c === a ? '[a] ' : '[b] ');
    const buf = pick(bufs()), o = pick(nums), l = pick(nums), sig = pick(signals()), d = pick(deadlines());
    switch (Math.floor(rand() * 10)) {
      case 0: await attempt('Conn.read', [buf, o, l, sig], () => c.read(buf as Uint8Array, o as number, l as number, sig as AbortSignal)); break;
      case 1: await attempt('Conn.write', [buf, o, l], () => c.write(buf as Uint8Array, o as number, l as number)); break;
      case 2: { const list = pick([[buf], [buf, buf], buf, null, [null], 'x', [new Uint8Array(1), {}]]);
        await attempt('Conn.writev', [list], () => c.writev(list as Uint8Array[])); break; }
      case 3: await attempt('Conn.readChunk', [l, sig], () => c.readChunk(l as number, sig as AbortSignal)); break;
      case 4: await attempt('Conn.setDeadline', [d], () => c.setDeadline(d as number)); break;
      case 5: await attempt('Conn.setReadDeadline', [d], () => c.setReadDeadline(d as number)); break;
      case 6: await attempt('Conn.setWriteDeadline', [d], () => c.setWriteDeadline(d as number)); break;
      case 7: await attempt('Conn.setNoDelay', [o], () => c.setNoDelay(o as boolean)); break;
      case 8: await attempt('Conn.setKeepAlive', [o, l], () => c.setKeepAlive(o as boolean, l as number)); break;
      default: if (rand() < 0.2) await attempt('Conn.close', [], () => c.close(), 100);
    }
  } else if (k === 5) {
    const net = pick(networks), addr = pick(addrs), opts = pick(optionBags());
    const ln = await attempt('listen', [net, addr, opts], () => listen(net as 'tcp', addr as string, opts as never), 200) as Listener | undefined;
    if (ln) {
      const d = pick(deadlines());
      await attempt('Listener.setDeadline', [d], () => ln.setDeadline(d as number));
      await attempt('Listener.accept', [], () => ln.accept(pick(signals()) as AbortSignal));
      await attempt('Listener.close', [], () => ln.close(), 200);
    }
  } else if (k === 6) {
    const net = pick(networks), addr = pick(addrs), opts = pick(optionBags());
    const c = await attempt('dial', [net, addr, opts], () => dial(net as 'tcp', addr as string, opts as never), 200) as Conn | undefined;
    if (c) toClose.push(c);
  } else if (k === 7) {
    const { ln } = await conns();
    const h = pick([null, {}, { onData: 5 }, 'x', { onData() { throw new Error('handler'); } }]), opts = pick(optionBags());
    await attempt('serve', [h, opts], () => serve(ln, h as never, opts as never), 10);
  } else {
    const opts = pick(optionBags());
    const n = await attempt('new Netpoll', [opts], () => new Netpoll(opts as never)) as Netpoll | undefined;
    if (n) {
      n.shutdown();
      const fd = pick(fds());
      await attempt('Netpoll.open after shutdown', [fd], () => n.open(fd as number));
      await attempt('Netpoll.shutdown twice', [], () => n.shutdown());
    }
    const po = await attempt('createPoller', [opts], () => createPoller(opts as never)) as ReturnType<typeof createPoller> | undefined;
    if (po) {
      const fd = pick(fds()), token = pick(nums), delay = pick([0, NaN, '1', null, {}, 1.5, -0, 10n]);
      await attempt('Poller.open', [fd, token], () => po.open(fd as number, token as number));
      await attempt('Poller.poll', [delay], () => po.poll(delay as number, () => {}));
      await attempt('Poller.close', [fd], () => po.close(fd as number));
      po.shutdown();
      await attempt('Poller.poll after shutdown', [0], () => po.poll(0, () => {}));
    }
  }
}

// The run itself must end: a step that never returns leaves the loop empty, and this says so.
process.on('exit', (code) => { if (code === 0 && !finished) process.stdout.write(JSON.stringify({ calls, outcomes, unclear: [...unclear, `the run stopped during ${current}`] }) + '\n'); });
let finished = false;
// Killed by the test's time bound: say where it hung.
process.on('SIGTERM', () => { process.stdout.write(JSON.stringify({ calls, outcomes, unclear: [...unclear, `hung during ${current}`] }) + '\n'); process.exit(3); });
for (let i = 0; i < p.iterations; i++) {
  // A step that does not end in 5 s is a hang: report where, and stop.
  let timer: NodeJS.Timeout | undefined;
  const hung = await Promise.race([step().then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), 5000); })]);
  clearTimeout(timer);
  if (hung) {
    process.stdout.write(JSON.stringify({ calls, outcomes, unclear: [...unclear, `hung during ${current}`] }) + '\n');
    process.exit(0);
  }
}
for (const c of toClose) await closeQuiet(c);
const last = pair as { ln: Listener; a: Conn; b: Conn } | null;
if (last) for (const x of [last.a, last.b, last.ln]) await closeQuiet(x);
finished = true;
np.shutdown();
process.stdout.write(JSON.stringify({ calls, outcomes, unclear: [...new Set(unclear)] }) + '\n');
process.exit(0);
