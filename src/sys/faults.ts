// Fault injection for tests: makes the system calls fail the way kernels
// fail them, so the layers above can be proven against every answer a real
// kernel may give, not only the answers a quiet loopback happens to give.
//
// Off unless NETPOLL_FAULTS is set when a thread first loads src/sys (read
// once, then never again). Off, hook() hands back the bound libc function
// itself: production calls the very same objects, with nothing in between.
//
// NETPOLL_FAULTS is a comma list of key=value, every rate a probability per
// call (default 0):
//   seed=N      the PRNG seed (each worker thread mixes in its thread id)
//   eintr=P     EINTR before read/recv/readv/write/send/writev/accept/accept4,
//               the datagram and message calls (recvfrom/sendto/recvmsg/
//               sendmsg/recvmmsg/sendmmsg), a blocking epoll_wait/poll, and
//               after connect (the connect goes on, as an interrupted
//               connect(2) does)
//   closeintr=P close(2) closes the descriptor, then says EINTR (Linux does)
//   eagain=P    spurious EAGAIN on a socket some epoll watches; the fault then
//               re-arms the socket's edge (EPOLL_CTL_MOD with its own event),
//               as a real race leaves an edge behind: readiness that is there
//               is reported again, readiness that is not comes as a new edge
//   short=P     reads and writes on sockets move 1 byte to all of it, skewed small
//   reset=P     ECONNRESET mid-stream (after the socket moved a byte): the
//               socket is shut down for real, so the kernel answers EOF/EPIPE
//               from then on and the peer sees the end
//   emfile=P    EMFILE from accept (the connection stays queued; as with a real
//               EMFILE no new edge comes, the caller must retry on its own)
// Faults touch only what a kernel may do to them: an eventfd or a wake-up
// pipe is never short-read (the kernel never splits those 8 or 1 bytes).
import koffi from 'koffi';
import { C, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } from './constants.ts';
import { EPOLL_EVENT } from './epoll-layout.ts';
import { threadId } from 'node:worker_threads';

type Fn = (...args: unknown[]) => number;

export interface FaultRates {
  seed: number; eintr: number; closeintr: number; eagain: number; short: number; reset: number; emfile: number;
}
export type FaultKind = 'eintr' | 'closeintr' | 'eagain' | 'shortRead' | 'shortWrite' | 'reset' | 'emfile';

/** Parses a NETPOLL_FAULTS value; throws a RangeError naming a bad key or rate. */
export function parseFaultSpec(spec: string): FaultRates {
  const rates: FaultRates = { seed: 1, eintr: 0, closeintr: 0, eagain: 0, short: 0, reset: 0, emfile: 0 };
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const [k, v] = part.split('=').map((s) => s.trim());
    const n = Number(v);
    if (!k || !(k in rates)) throw new RangeError(`netpoll: NETPOLL_FAULTS: unknown key '${String(k)}'`);
    if (v === undefined || v === '' || !Number.isFinite(n) || (k !== 'seed' && (n < 0 || n > 1))) {
      throw new RangeError(`netpoll: NETPOLL_FAULTS: bad value for ${k}: '${String(v)}'`);
    }
    rates[k as keyof FaultRates] = n;
  }
  return rates;
}

const SPEC = process.env['NETPOLL_FAULTS'];
/** True when this thread injects faults (NETPOLL_FAULTS was set when src/sys loaded). */
export const FAULTS_ON = SPEC !== undefined && SPEC !== '';
const rates: FaultRates | null = FAULTS_ON ? parseFaultSpec(SPEC!) : null;
/** Reads on sockets may be cut short here: a short read then proves nothing about what is left. */
export const SHORT_READS_INJECTED = rates !== null && rates.short > 0;

const counts: Record<FaultKind, number> = { eintr: 0, closeintr: 0, eagain: 0, shortRead: 0, shortWrite: 0, reset: 0, emfile: 0 };
/** Faults injected so far in this thread, by kind (all 0 when off). */
export function faultCounts(): Readonly<Record<FaultKind, number>> { return { ...counts }; }

// mulberry32: small, seedable, good enough to pick faults.
let state = rates ? ((rates.seed ^ Math.imul(threadId + 1, 0x9e3779b9)) >>> 0) : 0;
function rand(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const chance = (p: number): boolean => p > 0 && rand() < p;
/** 1..n, skewed toward small counts (a third of them 1–2 bytes). */
const shortCount = (n: number): number => 1 + Math.floor(rand() ** 3 * n);

/** Sockets this thread made, and how many bytes each moved (a reset comes mid-stream only). */
const sockets = new Map<number, number>();
/** Each descriptor's epoll registrations: epoll fd → its epoll_event bytes, to re-arm the edge. */
const regs = new Map<number, Map<number, Uint8Array>>();

interface Iov { iov_base: unknown; iov_len: number }

// Raw functions the faults themselves call, bound only when faults are on.
let rawCtl: Fn | null = null;
let rawShutdown: Fn | null = null;

function fail(errno: number): number {
  koffi.errno(errno);
  return -1;
}

/** The edge a spurious EAGAIN must leave behind: every epoll watching fd reports it again if ready. */
function rearm(fd: number): void {
  const m = regs.get(fd);
  if (m === undefined || rawCtl === null) return;
  for (const [ep, ev] of m) rawCtl(ep, EPOLL_CTL_MOD, fd, ev);
}

/** Faults every socket I/O call may get before it runs; -1 (errno set) or 0 to go on. */
function before(fd: number, r: FaultRates, canReset: boolean): number {
  if (chance(r.eintr)) { counts.eintr++; return fail(C.EINTR); }
  if (regs.has(fd) && chance(r.eagain)) { counts.eagain++; rearm(fd); return fail(C.EAGAIN); }
  if (canReset && rawShutdown !== null && (sockets.get(fd) ?? 0) > 0 && chance(r.reset)) {
    counts.reset++;
    rawShutdown(fd, C.SHUT_RDWR);
    return fail(C.ECONNRESET);
  }
  return 0;
}

function moved(fd: number, n: number): number {
  if (n > 0) { const m = sockets.get(fd); if (m !== undefined) sockets.set(fd, m + n); }
  return n;
}

/** writev/readv's iovecs cut to `limit` bytes in all. */
function cutIov(iov: Iov[], cnt: number, limit: number): Iov[] {
  const out: Iov[] = [];
  for (let i = 0; i < cnt && limit > 0; i++) {
    const n = Math.min(iov[i]!.iov_len, limit);
    out.push({ iov_base: iov[i]!.iov_base, iov_len: n });
    limit -= n;
  }
  return out;
}

function ioWrapper(name: string, f: Fn, r: FaultRates): Fn | null {
  switch (name) {
    case 'read': case 'recv': case 'write': case 'send': {
      const isRead = name === 'read' || name === 'recv';
      return (...a: unknown[]): number => {
        const fd = a[0] as number;
        if (!sockets.has(fd)) return f(...a);
        if (before(fd, r, true) < 0) return -1;
        const count = a[2] as number;
        if (count > 1 && chance(r.short)) {
          if (isRead) counts.shortRead++; else counts.shortWrite++;
          a[2] = shortCount(count - 1);
        }
        return moved(fd, f(...a));
      };
    }
    case 'readv': case 'writev': {
      const isRead = name === 'readv';
      return (fd: unknown, iov: unknown, cnt: unknown): number => {
        if (!sockets.has(fd as number)) return f(fd, iov, cnt);
        if (before(fd as number, r, true) < 0) return -1;
        if (iov !== null && chance(r.short)) {
          const v = iov as Iov[];
          let total = 0;
          for (let i = 0; i < (cnt as number); i++) total += v[i]!.iov_len;
          if (total > 1) {
            if (isRead) counts.shortRead++; else counts.shortWrite++;
            const cut = cutIov(v, cnt as number, shortCount(total - 1));
            return moved(fd as number, f(fd, cut, cut.length));
          }
        }
        return moved(fd as number, f(fd, iov, cnt));
      };
    }
    case 'recvfrom': case 'sendto': case 'recvmsg': case 'sendmsg': case 'recvmmsg': case 'sendmmsg':
      // A datagram is never split and a datagram socket has no stream to reset: EINTR and spurious EAGAIN only.
      return (...a: unknown[]): number => {
        const fd = a[0] as number;
        if (sockets.has(fd) && before(fd, r, false) < 0) return -1;
        return f(...a);
      };
    case 'accept': case 'accept4':
      return (...a: unknown[]): number => {
        const fd = a[0] as number;
        if (before(fd, r, false) < 0) return -1;
        if (chance(r.emfile)) { counts.emfile++; return fail(C.EMFILE); }
        const nfd = f(...a);
        if (nfd >= 0) sockets.set(nfd, 0);
        return nfd;
      };
    case 'connect':
      return (...a: unknown[]): number => {
        const n = f(...a);
        // An interrupted connect(2) goes on in the background: EINTR in place of EINPROGRESS.
        if (n < 0 && koffi.errno() === C.EINPROGRESS && chance(r.eintr)) { counts.eintr++; return fail(C.EINTR); }
        return n;
      };
    default:
      return null;
  }
}

function wrapper(name: string, f: Fn, r: FaultRates): Fn {
  const io = ioWrapper(name, f, r);
  if (io !== null) return io;
  switch (name) {
    case 'socket':
      return (...a: unknown[]): number => { const fd = f(...a); if (fd >= 0) sockets.set(fd, 0); return fd; };
    case 'socketpair':
      return (...a: unknown[]): number => {
        const n = f(...a);
        if (n >= 0) { const sv = a[3] as Int32Array; sockets.set(sv[0]!, 0); sockets.set(sv[1]!, 0); }
        return n;
      };
    case 'close':
      return (fd: unknown): number => {
        sockets.delete(fd as number);
        regs.delete(fd as number);
        const n = f(fd);
        // Linux releases the descriptor even when close(2) is interrupted.
        if (n === 0 && chance(r.closeintr)) { counts.closeintr++; return fail(C.EINTR); }
        return n;
      };
    case 'epoll_ctl':
      rawCtl = f;
      return (ep: unknown, op: unknown, fd: unknown, ev: unknown): number => {
        const n = f(ep, op, fd, ev);
        if (n < 0) return n;
        if (op === EPOLL_CTL_DEL) {
          const m = regs.get(fd as number);
          m?.delete(ep as number);
          if (m?.size === 0) regs.delete(fd as number);
        } else if ((op === EPOLL_CTL_ADD || op === EPOLL_CTL_MOD) && ev instanceof Uint8Array) {
          let m = regs.get(fd as number);
          if (m === undefined) regs.set(fd as number, m = new Map());
          m.set(ep as number, ev.slice(0, EPOLL_EVENT.size));
        }
        return n;
      };
    case 'epoll_wait': case 'poll': {
      // Only a call that can block can be interrupted: not one with timeout 0.
      const timeoutArg = name === 'poll' ? 2 : 3;
      return (...a: unknown[]): number => {
        if (a[timeoutArg] !== 0 && chance(r.eintr)) { counts.eintr++; return fail(C.EINTR); }
        return f(...a);
      };
    }
    default:
      return f;
  }
}

/**
 * The function to call for the libc function `proto` declares, bound as `f`:
 * `f` itself when faults are off, else `f` behind this thread's fault mix.
 */
export function hook(proto: string, f: Fn): Fn {
  if (rates === null) return f;
  const name = /(\w+)\s*\(/.exec(proto)?.[1] ?? '';
  if (name === 'shutdown') rawShutdown = f;
  return wrapper(name, f, rates);
}
