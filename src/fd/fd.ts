// Go's internal/poll.FD (fd_unix.go, fd_poll_runtime.go): a descriptor, its
// fdMutex and its poll descriptor. Every operation tries the system call
// first and parks on the poll descriptor only on EAGAIN. read and write are
// plain functions returning an already-settled promise when the syscall
// succeeds: no async frame, no closure, no subarray on that path.
import { Netpoll, NetClosingError, NotPollableError, type PollDesc } from '../netpoll/index.ts';
import type { DeadlineInput } from '../netpoll/deadline.ts';
import { checkFd, checkRange } from '../sys/bounds.ts';
import { C } from '../sys/constants.ts';
import { close as sysClose, read as sysRead, write as sysWrite } from '../sys/libc.ts';
import * as sock from '../sys/socket.ts';
import { SIZEOF_SOCKADDR_STORAGE } from '../sys/sockaddr.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { defer, nextTurn, spend, type Deferred } from './budget.ts';
import { NoDeadlineError, UnexpectedEOFError, withBytesWritten } from './errors.ts';
import { CLOSED, FdMutex, LOCKED } from './fd-mutex.ts';

/** Go's maxRW: stream reads and writes move at most 1 GiB per syscall. */
export const MAX_RW = 1 << 30;

/** Bytes one read(2)/write(2) may move: n, capped at MAX_RW for streams. */
export function rwChunk(n: number, isStream: boolean): number {
  return n > MAX_RW && isStream ? MAX_RW : n;
}

const EINTR = -C.EINTR, EAGAIN = -C.EAGAIN, EINPROGRESS = -C.EINPROGRESS, EALREADY = -C.EALREADY;
const EISCONN = -C.EISCONN, ECONNABORTED = -C.ECONNABORTED, ENOTSOCK = -sock.ENOTSOCK;
const USE_SEND = C.MSG_NOSIGNAL !== 0;

const ZERO: Promise<number> = Promise.resolve(0);
// Settled promises of recent byte counts, shared: a message size seen again
// (every echo of 64 B) costs no allocation. Direct-mapped, any n is correct.
const COUNT_SLOTS = 64;
const countN = new Float64Array(COUNT_SLOTS).fill(-1);
const countP: Promise<number>[] = new Array<Promise<number>>(COUNT_SLOTS).fill(ZERO);
const EOF: Promise<null> = Promise.resolve(null);
const DONE: Promise<void> = Promise.resolve();

// Filled and copied synchronously by one call at a time.
const saBuf = new Uint8Array(SIZEOF_SOCKADDR_STORAGE);
const saLen = new Int32Array(1);
const intOut = new Int32Array(1);

export interface FDOptions {
  /** The Netpoll to register with; Netpoll.current() by default. */
  netpoll?: Netpoll;
  /** SOCK_STREAM (or a pipe): reads and writes capped at MAX_RW. Default true. */
  isStream?: boolean;
  /** A 0-byte read is end of stream (not for datagrams). Default true. */
  zeroReadIsEOF?: boolean;
  /** false: never register; the FD stays in blocking mode. Default true. */
  pollable?: boolean;
}

export interface Accepted {
  sysfd: number;
  /** The peer's sockaddr, exactly as long as the kernel reported. */
  sockaddr: Uint8Array;
}

type Shut = 'r' | 'w' | 'rw';

export class FD {
  private fd: number;
  private pd: PollDesc | null;
  private np: Netpoll | null;
  private readonly mu = new FdMutex();
  private readonly stream: boolean;
  private readonly eofOnZero: boolean;
  private blocking: boolean;
  private useSend = USE_SEND;
  private closeDone: Promise<void> | null = null;
  private resolveClose: (() => void) | null = null;

  /** Go's FD.Init: registers with the Netpoll; a NotPollableError leaves the FD in blocking mode. */
  constructor(sysfd: number, opts: FDOptions = {}) {
    checkFd(sysfd, 'sysfd');
    this.fd = sysfd;
    this.stream = opts.isStream ?? true;
    this.eofOnZero = opts.zeroReadIsEOF ?? true;
    this.pd = null;
    this.np = null;
    this.blocking = false;
    if (opts.pollable === false) {
      this.blocking = true;
      return;
    }
    const np = opts.netpoll ?? Netpoll.current();
    try {
      this.pd = np.open(sysfd);
      this.np = np;
    } catch (e) {
      if (!(e instanceof NotPollableError)) throw e;
      this.blocking = true;
    }
  }

  /** The descriptor; -1 once it was closed. */
  get sysfd(): number { return this.fd; }
  get closed(): boolean { return this.mu.closed; }
  /** Not in the poller: operations block the thread, deadlines are refused, close does not wait. */
  get isBlocking(): boolean { return this.blocking; }

  // ---- read ---------------------------------------------------------------

  read(buf: Uint8Array, offset = 0, length?: number, signal?: AbortSignal): Promise<number | null> {
    if (length === undefined) length = (buf?.byteLength ?? 0) - offset;
    if (!inRange(buf, offset, length)) {
      try {
        checkRange(buf, offset, length);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    const s = this.mu.tryRWLock(true);
    if (s !== LOCKED) {
      return s === CLOSED ? Promise.reject(new NetClosingError()) : this.readQueued(buf, offset, length, signal);
    }
    return this.readLocked(buf, offset, length, signal);
  }

  /** Holds the read lock; every path releases it before the promise settles. */
  private readLocked(buf: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined): Promise<number | null> {
    // Go: a zero-length read succeeds at once, before pollReset and its deadline check.
    if (length === 0) { this.readUnlock(); return ZERO; }
    const pd = this.pd;
    if (pd !== null) {
      try {
        pd.reset('r');
      } catch (e) {
        this.readUnlock();
        return Promise.reject(e);
      }
    }
    if (!spend()) {
      const p = new Promise<number | null>(capture);
      defer(new DeferredRead(this, buf, offset, length, signal, captured));
      return p;
    }
    const n = this.readOnce(buf, offset, length);
    if (n >= 0) {
      this.readUnlock();
      return n === 0 && this.eofOnZero ? EOF : settled(n);
    }
    if (n === EAGAIN && pd !== null) return this.readSlow(buf, offset, length, signal);
    this.readUnlock();
    return Promise.reject(new SyscallError('read', -n));
  }

  /** @internal A read deferred by the budget, on the next turn; the read lock is held. */
  runDeferredRead(d: DeferredRead): void {
    const e = this.pd?.checkErr('r');
    if (e) { this.readUnlock(); d.reject(e); return; }
    const n = this.readOnce(d.buf, d.offset, d.length);
    if (n >= 0) { this.readUnlock(); d.resolve(n === 0 && this.eofOnZero ? null : n); return; }
    if (n === EAGAIN && this.pd !== null) {
      this.readSlow(d.buf, d.offset, d.length, d.signal).then(d.resolve, d.reject);
      return;
    }
    this.readUnlock();
    d.reject(new SyscallError('read', -n));
  }

  private async readQueued(buf: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined): Promise<number | null> {
    if (!(await this.mu.rwlock(true, signal))) throw new NetClosingError();
    return this.readLocked(buf, offset, length, signal);
  }

  /** The read lock is held; the last try gave EAGAIN. */
  private async readSlow(buf: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined): Promise<number | null> {
    try {
      await this.pd!.wait('r', signal);
      for (;;) {
        const n = this.readOnce(buf, offset, length);
        if (n >= 0) return n === 0 && this.eofOnZero ? null : n;
        if (n !== EAGAIN || this.pd === null) throw new SyscallError('read', -n);
        await this.pd.wait('r', signal);
      }
    } finally {
      this.readUnlock();
    }
  }

  /** read(2) with EINTR retried: n or -errno. */
  private readOnce(buf: Uint8Array, offset: number, length: number): number {
    length = rwChunk(length, this.stream);
    const b = offset === 0 ? buf : new Uint8Array(buf.buffer, buf.byteOffset + offset, length);
    let n: number;
    do n = sysRead(this.fd, b, length); while (n === EINTR);
    return n;
  }

  private readUnlock(): void {
    if (this.mu.rwunlock(true)) this.destroy();
  }

  // ---- write --------------------------------------------------------------

  write(buf: Uint8Array, offset = 0, length?: number, signal?: AbortSignal): Promise<number> {
    if (length === undefined) length = (buf?.byteLength ?? 0) - offset;
    if (!inRange(buf, offset, length)) {
      try {
        checkRange(buf, offset, length);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (signal !== undefined && signal.aborted) return Promise.reject(withBytesWritten(signal.reason, 0));
    const s = this.mu.tryRWLock(false);
    if (s !== LOCKED) {
      return s === CLOSED ? Promise.reject(withBytesWritten(new NetClosingError(), 0))
        : this.writeQueued(buf, offset, length, signal);
    }
    return this.writeLocked(buf, offset, length, signal);
  }

  private writeLocked(buf: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined): Promise<number> {
    const pd = this.pd;
    if (pd !== null) {
      try {
        pd.reset('w');
      } catch (e) {
        this.writeUnlock();
        return Promise.reject(withBytesWritten(e, 0));
      }
    }
    if (!spend()) {
      const p = new Promise<number>(capture);
      defer(new DeferredWrite(this, buf, offset, length, signal, captured));
      return p;
    }
    let nn = 0;
    for (;;) {
      const n = this.writeOnce(buf, offset + nn, length - nn);
      if (n > 0) {
        nn += n;
        if (nn === length) { this.writeUnlock(); return settled(nn); }
        continue;
      }
      if (n === 0) {
        this.writeUnlock();
        return length === 0 ? ZERO : Promise.reject(withBytesWritten(new UnexpectedEOFError(), nn));
      }
      if (n === EAGAIN && pd !== null) return this.writeSlow(buf, offset, length, signal, nn);
      this.writeUnlock();
      return Promise.reject(withBytesWritten(new SyscallError('write', -n), nn));
    }
  }

  /** @internal A write deferred by the budget, on the next turn; the write lock is held. */
  runDeferredWrite(d: DeferredWrite): void {
    const length = d.length;
    let nn = 0;
    try {
      const e = this.pd?.checkErr('w');
      if (e) throw e;
      for (;;) {
        const n = this.writeOnce(d.buf, d.offset + nn, length - nn);
        if (n > 0) {
          nn += n;
          if (nn === length) break;
          continue;
        }
        if (n === 0) {
          if (length === 0) break;
          throw new UnexpectedEOFError();
        }
        if (n === EAGAIN && this.pd !== null) {
          this.writeSlow(d.buf, d.offset, length, d.signal, nn).then(d.resolve, d.reject);
          return;
        }
        throw new SyscallError('write', -n);
      }
    } catch (e) {
      this.writeUnlock();
      d.reject(withBytesWritten(e, nn));
      return;
    }
    this.writeUnlock();
    d.resolve(nn);
  }

  private async writeQueued(buf: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined): Promise<number> {
    let locked: boolean;
    try {
      locked = await this.mu.rwlock(false, signal);
    } catch (e) {
      throw withBytesWritten(e, 0);
    }
    if (!locked) throw withBytesWritten(new NetClosingError(), 0);
    return this.writeLocked(buf, offset, length, signal);
  }

  /** The write lock is held; nn bytes are already written; the last try gave EAGAIN. */
  private async writeSlow(buf: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined,
                          nn: number): Promise<number> {
    try {
      await this.pd!.wait('w', signal);
      for (;;) {
        const n = this.writeOnce(buf, offset + nn, length - nn);
        if (n > 0) {
          nn += n;
          if (nn === length) return nn;
          continue;
        }
        if (n === 0) {
          if (length === 0) return 0;
          throw new UnexpectedEOFError();
        }
        if (n !== EAGAIN || this.pd === null) throw new SyscallError('write', -n);
        await this.pd.wait('w', signal);
      }
    } catch (e) {
      throw withBytesWritten(e, nn);
    } finally {
      this.writeUnlock();
    }
  }

  /** One write(2) (send with MSG_NOSIGNAL on sockets) of at most MAX_RW bytes, EINTR retried. */
  private writeOnce(buf: Uint8Array, offset: number, count: number): number {
    count = rwChunk(count, this.stream);
    const b = offset === 0 ? buf : new Uint8Array(buf.buffer, buf.byteOffset + offset, count);
    let n: number;
    if (this.useSend) {
      do n = sock.send(this.fd, b, count); while (n === EINTR);
      if (n !== ENOTSOCK) return this.checkWritten(n, count);
      this.useSend = false; // a pipe or a file: write(2) from now on
    }
    do n = sysWrite(this.fd, b, count); while (n === EINTR);
    return this.checkWritten(n, count);
  }

  private checkWritten(n: number, count: number): number {
    // Go panics: a kernel or libc bug (issue 61060); never count bytes that were not asked for.
    if (n > count) throw new Error(`netpoll: invalid return from write: got ${n} from a write of ${count}`);
    return n;
  }

  private writeUnlock(): void {
    if (this.mu.rwunlock(false)) this.destroy();
  }

  /** writev(2) until every byte of bufs is written; one syscall per round. */
  async writev(bufs: readonly Uint8Array[], signal?: AbortSignal): Promise<number> {
    if (!Array.isArray(bufs)) throw withBytesWritten(new TypeError('netpoll: writev takes an array of Uint8Array'), 0);
    let total = 0;
    for (const b of bufs) {
      if (!(b instanceof Uint8Array)) throw withBytesWritten(new TypeError('netpoll: writev takes an array of Uint8Array'), 0);
      total += b.byteLength;
    }
    let nn = 0;
    try {
      await this.lock(false, signal);
    } catch (e) {
      throw withBytesWritten(e, 0);
    }
    try {
      const pd = this.pd;
      pd?.reset('w');
      if (!spend()) {
        await nextTurn();
        const e = pd?.checkErr('w');
        if (e) throw e;
      }
      const v = bufs.slice();
      let i = 0;
      while (nn < total) {
        while (v[i]!.byteLength === 0) i++;
        let n: number;
        do n = sock.writev(this.fd, v, i, this.stream ? MAX_RW : Number.MAX_SAFE_INTEGER); while (n === EINTR);
        if (n > 0) {
          nn += n;
          // Consume n bytes: drop whole buffers, trim the partial one.
          while (n > 0) {
            const b = v[i]!;
            if (n >= b.byteLength) { n -= b.byteLength; i++; }
            else { v[i] = b.subarray(n); n = 0; }
          }
          continue;
        }
        if (n === 0) throw new UnexpectedEOFError();
        if (n !== EAGAIN || pd === null) throw new SyscallError('writev', -n);
        await pd.wait('w', signal);
      }
      return nn;
    } catch (e) {
      throw withBytesWritten(e, nn);
    } finally {
      this.writeUnlock();
    }
  }

  // ---- accept, connect, raw readiness ------------------------------------

  /** accept4(SOCK_NONBLOCK|SOCK_CLOEXEC); ECONNABORTED and EINTR are retried silently. */
  async accept(signal?: AbortSignal): Promise<Accepted> {
    await this.lock(true, signal);
    try {
      const pd = this.pd;
      pd?.reset('r');
      if (!spend()) {
        await nextTurn();
        const e = pd?.checkErr('r');
        if (e) throw e;
      }
      for (;;) {
        saLen[0] = saBuf.byteLength;
        const nfd = sock.accept(this.fd, saBuf, saLen);
        if (nfd >= 0) return { sysfd: nfd, sockaddr: saBuf.slice(0, Math.min(saLen[0]!, saBuf.byteLength)) };
        if (nfd === EINTR || nfd === ECONNABORTED) continue;
        if (nfd === EAGAIN && pd !== null) { await pd.wait('r', signal); continue; }
        // EMFILE, ENFILE and the rest: the caller decides; no retry here, so no busy loop.
        throw new SyscallError('accept', -nfd);
      }
    } finally {
      this.readUnlock();
    }
  }

  /**
   * Go's netFD.connect: EINPROGRESS, EALREADY or EINTR → wait writable → SO_ERROR.
   * An abort rejects with the signal's reason; the FD stays usable (to close).
   */
  async connect(sockaddr: Uint8Array, length: number, signal?: AbortSignal): Promise<void> {
    checkRange(sockaddr, 0, length);
    await this.lock(false, signal);
    try {
      if (signal?.aborted) throw signal.reason;
      const pd = this.pd;
      pd?.reset('w');
      const r = sock.connect(this.fd, sockaddr, length);
      if (r === 0 || r === EISCONN) {
        if (signal?.aborted) throw signal.reason;
        return;
      }
      if ((r !== EINPROGRESS && r !== EALREADY && r !== EINTR) || pd === null) throw new SyscallError('connect', -r);
      for (;;) {
        await pd.wait('w', signal);
        let e: number;
        do e = sock.getsockoptInt(this.fd, C.SOL_SOCKET, C.SO_ERROR, intOut); while (e === EINTR);
        if (e < 0) throw new SyscallError('getsockopt', -e);
        const so = -intOut[0]!;
        if (so === EINPROGRESS || so === EALREADY || so === EINTR) continue;
        if (so === EISCONN) return;
        if (so === 0) {
          // A spurious wake-up reads 0 while still connecting (Go issues 14548, 19289).
          saLen[0] = saBuf.byteLength;
          if (sock.getpeername(this.fd, saBuf, saLen) === 0) return;
          continue;
        }
        throw new SyscallError('connect', -so);
      }
    } finally {
      this.writeUnlock();
    }
  }

  /** Resolves when the descriptor is readable (RawRead's wait): the kernel is asked first. */
  waitRead(signal?: AbortSignal): Promise<void> { return this.waitReady(true, signal); }
  /** Resolves when the descriptor is writable (WaitWrite). */
  waitWrite(signal?: AbortSignal): Promise<void> { return this.waitReady(false, signal); }

  private async waitReady(read: boolean, signal: AbortSignal | undefined): Promise<void> {
    await this.lock(read, signal);
    try {
      const pd = this.pd;
      const mode = read ? 'r' : 'w';
      const e = pd?.checkErr(mode);
      if (e) throw e;
      // The poller is edge-triggered: readiness consumed earlier gives no new edge,
      // so ask the kernel whether anything is there now before parking.
      const ev = sock.pollNow(this.fd, read ? sock.POLLIN : sock.POLLOUT);
      if (ev < 0) throw new SyscallError('poll', -ev);
      if (ev !== 0 || pd === null) return;
      pd.reset(mode);
      await pd.wait(mode, signal);
    } finally {
      if (read) this.readUnlock(); else this.writeUnlock();
    }
  }

  /** Takes the read or write lock, waiting in line if needed; throws the closed error. */
  private async lock(read: boolean, signal: AbortSignal | undefined): Promise<void> {
    const s = this.mu.tryRWLock(read);
    if (s === LOCKED) return;
    if (s === CLOSED || !(await this.mu.rwlock(read, signal))) throw new NetClosingError();
  }

  // ---- deadlines and other incref'd operations --------------------------

  setDeadline(d: DeadlineInput): void { this.setDeadlineMode(d, 'rw'); }
  setReadDeadline(d: DeadlineInput): void { this.setDeadlineMode(d, 'r'); }
  setWriteDeadline(d: DeadlineInput): void { this.setDeadlineMode(d, 'w'); }

  private setDeadlineMode(d: DeadlineInput, mode: 'r' | 'w' | 'rw'): void {
    this.incref();
    try {
      if (this.pd === null) throw new NoDeadlineError();
      this.pd.setDeadline(d, mode);
    } finally {
      this.decref();
    }
  }

  shutdown(how: Shut): void {
    const h = how === 'r' ? C.SHUT_RD : how === 'w' ? C.SHUT_WR : how === 'rw' ? C.SHUT_RDWR : -1;
    if (h < 0) throw new RangeError(`netpoll: shutdown takes 'r', 'w' or 'rw', got ${JSON.stringify(how)}`);
    this.incref();
    try {
      check('shutdown', sock.shutdown(this.fd, h));
    } finally {
      this.decref();
    }
  }

  setsockoptInt(level: number, name: number, value: number): void {
    this.incref();
    try {
      check('setsockopt', sock.setsockoptInt(this.fd, level, name, value));
    } finally {
      this.decref();
    }
  }

  getsockoptInt(level: number, name: number): number {
    this.incref();
    try {
      check('getsockopt', sock.getsockoptInt(this.fd, level, name, intOut));
      return intOut[0]!;
    } finally {
      this.decref();
    }
  }

  getsockname(): Uint8Array { return this.sockname(false); }
  getpeername(): Uint8Array { return this.sockname(true); }

  private sockname(peer: boolean): Uint8Array {
    this.incref();
    try {
      saLen[0] = saBuf.byteLength;
      const r = peer ? sock.getpeername(this.fd, saBuf, saLen) : sock.getsockname(this.fd, saBuf, saLen);
      check(peer ? 'getpeername' : 'getsockname', r);
      return saBuf.slice(0, Math.min(saLen[0]!, saBuf.byteLength));
    } finally {
      this.decref();
    }
  }

  private incref(): void {
    if (!this.mu.incref()) throw new NetClosingError();
  }

  private decref(): void {
    if (this.mu.decref()) this.destroy();
  }

  // ---- close --------------------------------------------------------------

  /**
   * Go's FD.Close: mark closing, wake every parked and queued operation with
   * the closed error, and close(2) once the last operation in flight has let
   * go, after the poller forgot the descriptor. Resolves then (at once for a
   * blocking-mode FD).
   */
  close(): Promise<void> {
    if (!this.mu.increfAndClose()) return Promise.reject(new NetClosingError());
    this.pd?.unblock();
    this.closeDone = new Promise<void>((resolve) => { this.resolveClose = resolve; });
    if (this.mu.decref()) {
      const e = this.destroy();
      return e ? Promise.reject(e) : DONE;
    }
    return this.blocking ? DONE : this.closeDone;
  }

  /** Go's destroy: pollClose (disarm), then close(2), exactly once. */
  private destroy(): SyscallError | null {
    const pd = this.pd, np = this.np;
    this.pd = null;
    this.np = null;
    if (pd !== null && np !== null) {
      try {
        np.close(pd);
      } catch {
        // The Netpoll was shut down or already forgot the pd: the kernel close below still runs.
      }
    }
    const r = sysClose(this.fd);
    this.fd = -1;
    // One microtask later, so the operation that let go settles before close() does.
    const resolve = this.resolveClose;
    this.resolveClose = null;
    if (resolve) queueMicrotask(resolve);
    return r < 0 ? new SyscallError('close', -r) : null;
  }
}

// A promise's resolving functions without a closure per promise: the
// executor runs synchronously inside `new Promise`, and they are read at once.
interface Settle { resolve: (v: never) => void; reject: (e: unknown) => void }
const captured: Settle = { resolve: () => undefined, reject: () => undefined };
function capture(resolve: (v: never) => void, reject: (e: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

/** A read put off by the budget: performed on the next loop turn. */
class DeferredRead implements Deferred {
  readonly resolve: (v: number | null) => void;
  readonly reject: (e: unknown) => void;
  constructor(readonly fd: FD, readonly buf: Uint8Array, readonly offset: number, readonly length: number,
              readonly signal: AbortSignal | undefined, s: Settle) {
    this.resolve = s.resolve as (v: number | null) => void;
    this.reject = s.reject;
  }
  runDeferred(): void { this.fd.runDeferredRead(this); }
}

/** A write put off by the budget: performed on the next loop turn. */
class DeferredWrite implements Deferred {
  readonly resolve: (v: number) => void;
  readonly reject: (e: unknown) => void;
  constructor(readonly fd: FD, readonly buf: Uint8Array, readonly offset: number, readonly length: number,
              readonly signal: AbortSignal | undefined, s: Settle) {
    this.resolve = s.resolve as (v: number) => void;
    this.reject = s.reject;
  }
  runDeferred(): void { this.fd.runDeferredWrite(this); }
}

/**
 * The common case of checkRange in a few comparisons: a Uint8Array (or
 * Buffer) and integer offset and length inside it. False sends the caller
 * to checkRange for the full check and its error.
 */
function inRange(buf: Uint8Array, offset: number, length: number): boolean {
  if (!(buf instanceof Uint8Array)) return false;
  // (x >>> 0) === x: an integer in 0 .. 2^32-1 (NaN, fractions and negatives fail).
  return (offset >>> 0) === offset && (length >>> 0) === length && offset + length <= buf.byteLength;
}

/** An already-settled promise of n (n >= 0). */
function settled(n: number): Promise<number> {
  const i = n & (COUNT_SLOTS - 1);
  if (countN[i] === n) return countP[i]!;
  const p = Promise.resolve(n);
  countN[i] = n;
  countP[i] = p;
  return p;
}

function check(syscall: string, r: number): void {
  if (r < 0) throw new SyscallError(syscall, -r);
}
