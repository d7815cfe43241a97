// Go's internal/poll.FD (fd_unix.go, fd_poll_runtime.go): a descriptor, its
// fdMutex and its poll descriptor. Every operation tries the system call
// first and parks on the poll descriptor only on EAGAIN.
//
// read and write have no async frame. When the system call succeeds they
// return an already-settled promise; on EAGAIN a record the FD keeps (a
// ReadOp or WriteOp) parks on the PollDesc, and the poller's drain retries
// the system call from its readiness callback and settles the one pending
// promise. Between operations an FD holds no promise, no closure and no
// buffer of its own.
import { Netpoll, NetClosingError, NotPollableError, type PollDesc } from '../netpoll/index.ts';
import type { DeadlineInput } from '../netpoll/deadline.ts';
import { checkFd, checkRange } from '../sys/bounds.ts';
import { C } from '../sys/constants.ts';
import { close as sysClose, read as sysRead, write as sysWrite } from '../sys/libc.ts';
import * as sock from '../sys/socket.ts';
import { SIZEOF_SOCKADDR_STORAGE } from '../sys/sockaddr.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { defer, nextTurn, spend } from '../netpoll/budget.ts';
import { NoDeadlineError, UnexpectedEOFError, withBytesWritten } from './errors.ts';
import { CLOSED, FdMutex, LOCKED } from './fd-mutex.ts';
import { ReadOp, WriteOp, type OpHost } from './ops.ts';
import { MAX_CHUNK, SCRATCH_SIZE, scratchBuffer, takeChunk } from './scratch.ts';

/** Go's maxRW: stream reads and writes move at most 1 GiB per syscall. */
export const MAX_RW = 1 << 30;

/** Bytes one read(2)/write(2) may move: n, capped at MAX_RW for streams. */
export function rwChunk(n: number, isStream: boolean): number {
  return n > MAX_RW && isStream ? MAX_RW : n;
}

const EINTR = -C.EINTR, EAGAIN = -C.EAGAIN, EINPROGRESS = -C.EINPROGRESS, EALREADY = -C.EALREADY;
const EISCONN = -C.EISCONN, ECONNABORTED = -C.ECONNABORTED, ENOTSOCK = -sock.ENOTSOCK;
/** writeSome's stop reason for a write(2) that returned 0 with no error. */
const WROTE_ZERO = 1;

/** Accepts in a row before one waits for the budget: a burst is admitted at once, a flood still yields. */
const ACCEPT_RUN = 64;

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

// FD.flags
const STREAM = 1, EOF_ON_ZERO = 2, BLOCKING = 4, USE_WRITE = 8;

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

/** Turns an FD's errors into the caller's shape (Conn makes OpErrors) before a promise rejects. */
export interface ErrorWrapper {
  wrapError(op: 'read' | 'write', e: unknown, signal: AbortSignal | undefined): unknown;
}

type Shut = 'r' | 'w' | 'rw';

export class FD implements OpHost {
  private fd: number;
  private pd: PollDesc | null;
  private np: Netpoll | null;
  private readonly mu = new FdMutex();
  private flags: number;
  private acceptRun = 0;
  /** Reused by every read (write) without a signal; one at a time, under the lock. */
  private rop: ReadOp | null = null;
  private wop: WriteOp | null = null;
  /** Settles the pending close() once destroy() has run. */
  private closeResolve: (() => void) | null = null;
  /** Set by the owner (Conn) to wrap read and write errors. */
  errorWrapper: ErrorWrapper | null = null;

  /** Go's FD.Init: registers with the Netpoll; a NotPollableError leaves the FD in blocking mode. */
  constructor(sysfd: number, opts: FDOptions = {}) {
    checkFd(sysfd, 'sysfd');
    this.fd = sysfd;
    this.flags = (opts.isStream ?? true ? STREAM : 0) | (opts.zeroReadIsEOF ?? true ? EOF_ON_ZERO : 0)
      | (C.MSG_NOSIGNAL === 0 ? USE_WRITE : 0);
    this.pd = null;
    this.np = null;
    if (opts.pollable === false) {
      this.flags |= BLOCKING;
      return;
    }
    const np = opts.netpoll ?? Netpoll.current();
    try {
      this.pd = np.open(sysfd);
      this.np = np;
    } catch (e) {
      if (!(e instanceof NotPollableError)) throw e;
      this.flags |= BLOCKING;
    }
  }

  /** The descriptor; -1 once it was closed. */
  get sysfd(): number { return this.fd; }
  get closed(): boolean { return this.mu.closed; }
  /** Not in the poller: operations block the thread, deadlines are refused, close does not wait. */
  get isBlocking(): boolean { return (this.flags & BLOCKING) !== 0; }

  private fail<T>(op: 'read' | 'write', e: unknown, signal: AbortSignal | undefined): Promise<T> {
    const w = this.errorWrapper;
    return Promise.reject(w === null ? e : w.wrapError(op, e, signal));
  }

  // ---- read ---------------------------------------------------------------

  /** Reads what is there into buf (at most length bytes at offset): the count, or null at end of stream. */
  read(buf: Uint8Array, offset = 0, length?: number, signal?: AbortSignal): Promise<number | null> {
    if (length === undefined) length = (buf?.byteLength ?? 0) - offset;
    if (!inRange(buf, offset, length)) {
      try {
        checkRange(buf, offset, length);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.startRead(buf, offset, length, false, signal) as Promise<number | null>;
  }

  /**
   * Waits until data is there, then reads at most maxBytes of it (and at
   * most MAX_CHUNK) into a buffer made for this call: an idle FD holds no
   * buffer while it waits. Resolves with the chunk (yours to keep), or null
   * at end of stream.
   */
  readChunk(maxBytes = SCRATCH_SIZE, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_RW) {
      return Promise.reject(new RangeError(`netpoll: maxBytes must be an integer from 1 to ${MAX_RW}, got ${String(maxBytes)}`));
    }
    return this.startRead(null, 0, Math.min(maxBytes, MAX_CHUNK), true, signal) as Promise<Uint8Array | null>;
  }

  private startRead(buf: Uint8Array | null, offset: number, length: number, chunk: boolean,
                    signal: AbortSignal | undefined): Promise<number | Uint8Array | null> {
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    const s = this.mu.tryRWLock(true);
    if (s !== LOCKED) {
      return s === CLOSED ? this.fail('read', new NetClosingError(), signal)
        : this.readQueued(buf, offset, length, chunk, signal);
    }
    return this.readLocked(buf, offset, length, chunk, signal);
  }

  private async readQueued(buf: Uint8Array | null, offset: number, length: number, chunk: boolean,
                           signal: AbortSignal | undefined): Promise<number | Uint8Array | null> {
    let locked: boolean;
    try {
      locked = await this.mu.rwlock(true, signal);
    } catch (e) {
      return this.fail('read', e, signal);
    }
    if (!locked) return this.fail('read', new NetClosingError(), signal);
    return this.readLocked(buf, offset, length, chunk, signal);
  }

  /** Holds the read lock; every path releases it before the promise settles. */
  private readLocked(buf: Uint8Array | null, offset: number, length: number, chunk: boolean,
                     signal: AbortSignal | undefined): Promise<number | Uint8Array | null> {
    // Aborted while queued for the lock (the abort itself may have handed it over).
    if (signal !== undefined && signal.aborted) { this.readUnlock(); return Promise.reject(signal.reason); }
    // Go: a zero-length read succeeds at once, before pollReset and its deadline check.
    if (length === 0) { this.readUnlock(); return ZERO; }
    const pd = this.pd;
    const e = pd === null ? null : pd.prepare('r');
    if (e !== null) { this.readUnlock(); return this.fail('read', e, signal); }
    if (!spend()) {
      const op = this.readOp(buf, offset, length, chunk, signal);
      const p = op.promise();
      op.watch();
      defer(op);
      return p;
    }
    const n = this.readOnce(buf, offset, length);
    if (n >= 0) { this.readUnlock(); return this.readResult(n, chunk); }
    if (n === EAGAIN && pd !== null) {
      const op = this.readOp(buf, offset, length, chunk, signal);
      const p = op.promise();
      op.parkOn(pd);
      return p;
    }
    this.readUnlock();
    return this.fail('read', new SyscallError('read', -n), signal);
  }

  private readOp(buf: Uint8Array | null, offset: number, length: number, chunk: boolean,
                 signal: AbortSignal | undefined): ReadOp {
    // An op with a signal may be abandoned while still queued: it gets its own record.
    const op = signal === undefined ? (this.rop ??= new ReadOp(this)) : new ReadOp(this);
    op.buf = buf;
    op.offset = offset;
    op.length = length;
    op.chunk = chunk;
    op.signal = signal;
    return op;
  }

  /**
   * @internal From the op: the poller said readable (afterWait: Go retries
   * the system call at once, whatever error bits came with the edge), or a
   * deferred read's turn came (it starts as a new read: Go's pollReset).
   * Retries read(2); parks again on EAGAIN.
   */
  readAgain(op: ReadOp, afterWait: boolean): void {
    const pd = this.pd;
    if (pd !== null && !afterWait) {
      const e = pd.prepare('r');
      if (e !== null) { this.readFailed(op, e); return; }
    }
    // The caller's buffer may have been detached or shrunk while the read waited.
    if (op.buf !== null && !inRange(op.buf, op.offset, op.length)) { this.readFailed(op, movedBuffer()); return; }
    const n = this.readOnce(op.buf, op.offset, op.length);
    if (n >= 0) {
      const v = n === 0 && (this.flags & EOF_ON_ZERO) !== 0 ? null : op.chunk ? takeChunk(n) : n;
      const resolve = op.settle();
      this.readUnlock();
      resolve(v);
      return;
    }
    if (n === EAGAIN && pd !== null) { op.parkOn(pd); return; }
    this.readFailed(op, new SyscallError('read', -n));
  }

  /** @internal The op's wait failed (closing, deadline, kernel error) or was aborted. */
  readFailed(op: ReadOp, e: unknown): void {
    const signal = op.signal;
    const reject = op.settleReject();
    this.readUnlock();
    const w = this.errorWrapper;
    reject(w === null ? e : w.wrapError('read', e, signal));
  }

  /** @internal Takes a parked read back from the PollDesc (an abort); true when it was parked. */
  unparkRead(op: ReadOp): boolean { return this.pd !== null && this.pd.unpark('r', op); }

  private readResult(n: number, chunk: boolean): Promise<number | Uint8Array | null> {
    if (n === 0 && (this.flags & EOF_ON_ZERO) !== 0) return EOF;
    return chunk ? Promise.resolve(takeChunk(n)) : settled(n);
  }

  /** read(2) with EINTR retried: n or -errno. A null buf reads into the shared scratch buffer. */
  private readOnce(buf: Uint8Array | null, offset: number, length: number): number {
    length = rwChunk(length, (this.flags & STREAM) !== 0);
    const b = buf === null ? scratchBuffer(length) : offset === 0 ? buf : new Uint8Array(buf.buffer, buf.byteOffset + offset, length);
    let n: number;
    do n = sysRead(this.fd, b, length); while (n === EINTR);
    return n;
  }

  private readUnlock(): void {
    if (this.mu.rwunlock(true)) this.destroy();
  }

  // ---- write --------------------------------------------------------------

  /** Writes all of it (length bytes at offset); on failure the error's bytesWritten says how much went. */
  write(buf: Uint8Array, offset = 0, length?: number, signal?: AbortSignal): Promise<number> {
    if (length === undefined) length = (buf?.byteLength ?? 0) - offset;
    if (!inRange(buf, offset, length)) {
      try {
        checkRange(buf, offset, length);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (signal !== undefined && signal.aborted) return this.fail('write', withBytesWritten(signal.reason, 0), signal);
    const s = this.mu.tryRWLock(false);
    if (s !== LOCKED) {
      return s === CLOSED ? this.fail('write', withBytesWritten(new NetClosingError(), 0), signal)
        : this.writeQueued(buf, offset, length, signal);
    }
    return this.writeLocked(buf, offset, length, signal);
  }

  private async writeQueued(buf: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined): Promise<number> {
    let locked: boolean;
    try {
      locked = await this.mu.rwlock(false, signal);
    } catch (e) {
      return this.fail('write', withBytesWritten(e, 0), signal);
    }
    if (!locked) return this.fail('write', withBytesWritten(new NetClosingError(), 0), signal);
    return this.writeLocked(buf, offset, length, signal);
  }

  private writeLocked(buf: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined): Promise<number> {
    if (signal !== undefined && signal.aborted) { this.writeUnlock(); return this.fail('write', withBytesWritten(signal.reason, 0), signal); }
    const pd = this.pd;
    const e = pd === null ? null : pd.prepare('w');
    if (e !== null) { this.writeUnlock(); return this.fail('write', withBytesWritten(e, 0), signal); }
    if (!spend()) {
      const op = this.writeOp(buf, offset, length, signal);
      const p = op.promise();
      op.watch();
      defer(op);
      return p;
    }
    const nn = this.writeSome(buf, offset, length, 0);
    const stop = this.wstop;
    if (stop === 0) { this.writeUnlock(); return settled(nn); }
    if (stop === EAGAIN && pd !== null) {
      const op = this.writeOp(buf, offset, length, signal);
      op.nn = nn;
      const p = op.promise();
      op.parkOn(pd);
      return p;
    }
    this.writeUnlock();
    return this.fail('write', withBytesWritten(writeError(stop), nn), signal);
  }

  private writeOp(buf: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined): WriteOp {
    const op = signal === undefined ? (this.wop ??= new WriteOp(this)) : new WriteOp(this);
    op.buf = buf;
    op.offset = offset;
    op.length = length;
    op.nn = 0;
    op.signal = signal;
    return op;
  }

  /** @internal From the op, as readAgain: the poller said writable, or its deferred turn came. Writes on; parks again on EAGAIN. */
  writeAgain(op: WriteOp, afterWait: boolean): void {
    const pd = this.pd;
    if (pd !== null && !afterWait) {
      const e = pd.prepare('w');
      if (e !== null) { this.writeFailed(op, e); return; }
    }
    if (!inRange(op.buf!, op.offset, op.length)) { this.writeFailed(op, movedBuffer()); return; }
    const nn = op.nn = this.writeSome(op.buf!, op.offset, op.length, op.nn);
    const stop = this.wstop;
    if (stop === 0) {
      const resolve = op.settle();
      this.writeUnlock();
      resolve(nn);
      return;
    }
    if (stop === EAGAIN && pd !== null) { op.parkOn(pd); return; }
    this.writeFailed(op, writeError(stop));
  }

  /** @internal The op's wait failed or was aborted: reject with what went out so far. */
  writeFailed(op: WriteOp, e: unknown): void {
    const signal = op.signal, nn = op.nn;
    const reject = op.settleReject();
    this.writeUnlock();
    const w = this.errorWrapper;
    const err = withBytesWritten(e, nn);
    reject(w === null ? err : w.wrapError('write', err, signal));
  }

  /** @internal Takes a parked write back from the PollDesc (an abort). */
  unparkWrite(op: WriteOp): boolean { return this.pd !== null && this.pd.unpark('w', op); }

  /** Why the last writeSome stopped: 0 done, EAGAIN, WROTE_ZERO, or another -errno. */
  private wstop = 0;

  /**
   * write(2) from buf[offset+nn] on until all length bytes went, EAGAIN or
   * an error; returns the new nn and leaves the reason in wstop. An empty
   * write still makes one 0-byte system call, as Go's does.
   */
  private writeSome(buf: Uint8Array, offset: number, length: number, nn: number): number {
    do {
      const n = this.writeOnce(buf, offset + nn, length - nn);
      if (n > 0) { nn += n; continue; }
      if (n === 0 && length === 0) break;
      this.wstop = n === 0 ? WROTE_ZERO : n;
      return nn;
    } while (nn < length);
    this.wstop = 0;
    return nn;
  }

  /** One write(2) (send with MSG_NOSIGNAL on sockets) of at most MAX_RW bytes, EINTR retried. */
  private writeOnce(buf: Uint8Array, offset: number, count: number): number {
    count = rwChunk(count, (this.flags & STREAM) !== 0);
    const b = offset === 0 ? buf : new Uint8Array(buf.buffer, buf.byteOffset + offset, count);
    let n: number;
    if ((this.flags & USE_WRITE) === 0) {
      do n = sock.send(this.fd, b, count); while (n === EINTR);
      if (n !== ENOTSOCK) return checkWritten(n, count);
      this.flags |= USE_WRITE; // a pipe or a file: write(2) from now on
    }
    do n = sysWrite(this.fd, b, count); while (n === EINTR);
    return checkWritten(n, count);
  }

  private writeUnlock(): void {
    if (this.mu.rwunlock(false)) this.destroy();
  }

  /** writev(2) until every byte of bufs is written; one syscall per round. */
  async writev(bufs: readonly Uint8Array[], signal?: AbortSignal): Promise<number> {
    let nn = 0;
    try {
      if (!Array.isArray(bufs)) throw new TypeError('netpoll: writev takes an array of Uint8Array');
      let total = 0;
      for (const b of bufs) {
        if (!(b instanceof Uint8Array)) throw new TypeError('netpoll: writev takes an array of Uint8Array');
        total += b.byteLength;
      }
      await this.lock(false, signal);
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
          do n = sock.writev(this.fd, v, i, (this.flags & STREAM) !== 0 ? MAX_RW : Number.MAX_SAFE_INTEGER); while (n === EINTR);
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
      } finally {
        this.writeUnlock();
      }
    } catch (e) {
      const err = withBytesWritten(e, nn);
      throw this.errorWrapper === null ? err : this.errorWrapper.wrapError('write', err, signal);
    }
  }

  // ---- accept, connect, raw readiness ------------------------------------

  /** accept4(SOCK_NONBLOCK|SOCK_CLOEXEC); ECONNABORTED and EINTR are retried silently. */
  async accept(signal?: AbortSignal): Promise<Accepted> {
    await this.lock(true, signal);
    try {
      const pd = this.pd;
      pd?.reset('r');
      if (++this.acceptRun > ACCEPT_RUN && !spend()) {
        this.acceptRun = 0;
        await nextTurn();
        const e = pd?.checkErr('r');
        if (e) throw e;
      }
      for (;;) {
        saLen[0] = saBuf.byteLength;
        const nfd = sock.accept(this.fd, saBuf, saLen);
        if (nfd >= 0) return { sysfd: nfd, sockaddr: saBuf.slice(0, Math.min(saLen[0]!, saBuf.byteLength)) };
        if (nfd === EINTR || nfd === ECONNABORTED) continue;
        if (nfd === EAGAIN && pd !== null) { this.acceptRun = 0; await pd.wait('r', signal); continue; }
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

  // ---- raw access (Go's RawRead, RawWrite, RawControl) -------------------

  /**
   * Go's FD.RawRead: under the read lock, calls fn with the descriptor until
   * it returns true, parking until the descriptor is readable each time it
   * returns false (fn's own syscall said EAGAIN). Resolves when fn returned
   * true; rejects with what fn threw, the closed error, the read deadline's
   * timeout or the signal's reason. fn must not keep the descriptor number:
   * it is valid only during the call.
   *
   * @example
   * const buf = new Uint8Array(1500);
   * let n = 0;
   * await fd.rawRead((sysfd) => {
   *   n = recv(sysfd, buf);           // your own syscall, -errno on failure
   *   return n !== -EAGAIN;           // false: wait for readability, then call again
   * });
   */
  rawRead(fn: (sysfd: number) => boolean, signal?: AbortSignal): Promise<void> {
    return this.raw(true, fn, signal);
  }

  /**
   * Go's FD.RawWrite: as rawRead, under the write lock, waiting for
   * writability and honouring the write deadline.
   *
   * @example
   * await fd.rawWrite((sysfd) => sendto(sysfd, datagram, addr) !== -EAGAIN);
   */
  rawWrite(fn: (sysfd: number) => boolean, signal?: AbortSignal): Promise<void> {
    return this.raw(false, fn, signal);
  }

  /**
   * Go's FD.RawControl: calls fn with the descriptor while holding a
   * reference (no lock, no wait), so the descriptor stays open during the
   * call; returns what fn returns. Throws NetClosingError once closed.
   *
   * @example
   * const nonblocking = fd.rawControl((sysfd) => (fcntl(sysfd, F_GETFL, 0) & O_NONBLOCK) !== 0);
   */
  rawControl<T>(fn: (sysfd: number) => T): T {
    if (typeof fn !== 'function') throw new TypeError('netpoll: rawControl takes a function');
    this.incref();
    try {
      return fn(this.fd);
    } finally {
      this.decref();
    }
  }

  private async raw(read: boolean, fn: (sysfd: number) => boolean, signal: AbortSignal | undefined): Promise<void> {
    if (typeof fn !== 'function') throw new TypeError(`netpoll: ${read ? 'rawRead' : 'rawWrite'} takes a function`);
    if (signal !== undefined && signal.aborted) throw signal.reason;
    await this.lock(read, signal);
    try {
      if (signal !== undefined && signal.aborted) throw signal.reason;
      if (!spend()) await nextTurn();
      const pd = this.pd;
      const mode = read ? 'r' : 'w';
      pd?.reset(mode);
      for (;;) {
        if (signal !== undefined && signal.aborted) throw signal.reason;
        if (fn(this.fd)) return;
        // Go's pd.wait on a descriptor outside the poller.
        if (pd === null) throw new NotPollableError('waiting for unsupported file type');
        await pd.wait(mode, signal);
      }
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
    if (this.mu.decref()) {
      const e = this.destroy();
      return e ? Promise.reject(e) : DONE;
    }
    if ((this.flags & BLOCKING) !== 0) return DONE;
    return new Promise<void>((resolve) => { this.closeResolve = resolve; });
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
    const resolve = this.closeResolve;
    this.closeResolve = null;
    if (resolve !== null) queueMicrotask(resolve);
    return r < 0 ? new SyscallError('close', -r) : null;
  }
}

function movedBuffer(): RangeError {
  return new RangeError('netpoll: the buffer was detached or shrunk while the operation waited');
}

function writeError(stop: number): Error {
  return stop === WROTE_ZERO ? new UnexpectedEOFError() : new SyscallError('write', -stop);
}

function checkWritten(n: number, count: number): number {
  // Go panics: a kernel or libc bug (issue 61060); never count bytes that were not asked for.
  if (n > count) throw new Error(`netpoll: invalid return from write: got ${n} from a write of ${count}`);
  return n;
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
