// A tour of Go's kqueue poller, piece by piece, on real descriptors: a pipe,
// a socket pair, and a worker thread that wakes a poller blocked in the
// kernel. Runs each backend this OS has (on Linux: epoll, and kqueue over
// the user-space kqueue).   Usage: node --import tsx examples/poller-tour.ts
import { Worker } from 'node:worker_threads';
import { createPoller, type Backend, type Mode, type Poller } from '../src/poller/index.ts';
import { C } from '../src/sys/constants.ts';
import { nonblockingPipe } from '../src/sys/descriptors.ts';
import { close, write } from '../src/sys/libc.ts';
import { socketpair } from '../src/sys/socket.ts';

const say = (piece: string, what: string, t0?: number) =>
  console.log(`  ${piece.padEnd(24)} ${what}${t0 === undefined ? '' : `  (${(performance.now() - t0).toFixed(3)} ms)`}`);
const events = (p: Poller, delayNs: number) => {
  const got: string[] = [];
  p.poll(delayNs, (token: number, mode: Mode) => got.push(`${token}:${mode}`));
  return got.length ? got.join(' ') : 'nothing';
};

// The worker loads the waker through tsx, since Node 20 workers do not inherit --import.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
import('tsx/esm/api').then(async ({ register }) => {
  register();
  const { wakerFrom } = await import(workerData.waker);
  const waker = wakerFrom(workerData.handle);
  parentPort.postMessage('ready');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  waker.wake();
});`;

async function tour(backend: Backend): Promise<void> {
  console.log(`\n${backend}`);
  let t0 = performance.now();
  const p = createPoller({ backend });
  say('netpollinit', `createPoller() made the poller, fd ${p.fd}`, t0);
  say('kq', `poller.fd = ${p.fd}: one kernel poller for the process`);
  const h = p.waker();
  say('netpollBreakRd/Wr', h.kind === 'kevent-user' ? `EVFILT_USER ident 0x${h.ident.toString(16)} on kq ${h.kq}` : `${h.kind} fd ${h.fd}`);
  say('netpollIsPollDescriptor', `poller fd: ${p.isPollDescriptor(p.fd)}, stdin: ${p.isPollDescriptor(0)} (a comparison, no syscall)`);

  const [rd, wr] = nonblockingPipe();
  const sv = new Int32Array(2);
  socketpair(C.AF_UNIX, C.SOCK_STREAM | C.SOCK_NONBLOCK | C.SOCK_CLOEXEC, 0, sv);
  t0 = performance.now();
  p.open(rd, 1); p.open(wr, 2); p.open(sv[0]!, 3);
  say('netpollopen', `pipe ends as tokens 1, 2 and a socket as 3, edge-triggered`, t0);
  t0 = performance.now();
  say('netpoll(0)', `first edges: ${events(p, 0)}`, t0);
  t0 = performance.now();
  say('netpoll(0)', `again: ${events(p, 0)} (edge-triggered: reported once)`, t0);
  write(wr, new Uint8Array([42]), 1);
  write(sv[1]!, new Uint8Array([42]), 1);
  t0 = performance.now();
  say('netpoll(0)', `after writing to the pipe and the socket: ${events(p, 0)}`, t0);
  t0 = performance.now();
  say('netpoll(20 ms)', `no events: ${events(p, 20e6)}`, t0);
  try { p.arm(1, 'r'); } catch (e) { say('netpollarm', `throws "${(e as Error).message}"`); }

  const worker = new Worker(WORKER, { eval: true, workerData: { handle: h, waker: new URL('../src/poller/waker.ts', import.meta.url).href } });
  await new Promise((resolve) => worker.once('message', resolve));
  t0 = performance.now();
  const n = p.poll(-1, () => {});
  say('netpollBreak', `a worker's wake() woke poll(-1) blocked in this thread after 50 ms, ${n} user events`, t0);
  await worker.terminate();
  for (let i = 0; i < 1000; i++) p.wake();
  t0 = performance.now();
  p.poll(-1, () => {});
  const first = performance.now() - t0;
  t0 = performance.now();
  p.poll(20e6, () => {});
  say('netpollWakeSig', `1000 wake() calls, one kernel wake: poll(-1) took ${first.toFixed(3)} ms, then poll(20 ms) slept its full time`, t0);

  t0 = performance.now();
  p.close(rd); p.close(wr); p.close(sv[0]!);
  say('netpollclose', backend === 'kqueue' ? 'nothing to do: close(2) drops the knotes' : 'EPOLL_CTL_DEL before close(2)', t0);
  for (const fd of [rd, wr, sv[0]!, sv[1]!]) close(fd);
  p.shutdown();
  say('shutdown', `poller closed; poll() now throws: ${(() => { try { p.poll(0, () => {}); return 'no'; } catch (e) { return (e as { code: string }).code; } })()}`);
}

const all: Backend[] = process.platform === 'linux' ? ['epoll', 'kqueue'] : ['kqueue'];
for (const backend of all) await tour(backend);
