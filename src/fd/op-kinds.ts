// Each FD operation as Go's fd_unix.go writes it, minus the loop: how to
// try the system call once and what the result is. The order around it
// (lock, prepare, try, park) is Op's, the same for all.
import { NotPollableError } from '../netpoll/index.ts';
import { C } from '../sys/constants.ts';
import * as sock from '../sys/socket.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { spend } from '../netpoll/budget.ts';
import { UnexpectedEOFError, withBytesWritten } from './errors.ts';
import {
  acceptedSockaddr, acceptOnce, consume, EAGAIN, ENOTSOCK, hasPeer, MAX_RW, readOnce, rwChunk, stop, writeError,
  writeSome, writevOnce,
} from './io.ts';
import { DRAINED, EOF_ON_ZERO, kindTraits, Op, OpPool, SHORT_DRAINS, STREAM, USE_WRITE, type OpHost } from './ops.ts';
import { scratchBuffer, takeChunk } from './scratch.ts';

const EINTR = -C.EINTR, EINPROGRESS = -C.EINPROGRESS, EALREADY = -C.EALREADY, EISCONN = -C.EISCONN;

/** Accepts in a row before one counts against the budget: a burst is admitted at once, a flood still yields. */
const ACCEPT_RUN = 64;

const ZERO: Promise<number> = Promise.resolve(0);
// Settled promises of recent byte counts, shared: a message size seen again
// (every echo of 64 B) costs no allocation. Direct-mapped, any n is correct.
const COUNT_SLOTS = 64;
const countN = new Float64Array(COUNT_SLOTS).fill(-1);
const countP: Promise<number>[] = new Array<Promise<number>>(COUNT_SLOTS).fill(ZERO);
const EOF: Promise<null> = Promise.resolve(null);
const DONE: Promise<void> = Promise.resolve();
const EMPTY = new Uint8Array(0);

/** An already-settled promise of n (n >= 0). */
export function settled(n: number): Promise<number> {
  const i = n & (COUNT_SLOTS - 1);
  if (countN[i] === n) return countP[i]!;
  const p = Promise.resolve(n);
  countN[i] = n;
  countP[i] = p;
  return p;
}

/**
 * The common case of checkRange in a few comparisons: a Uint8Array (or
 * Buffer) and integer offset and length inside it. False sends the caller
 * to checkRange for the full check and its error; a waiting operation
 * re-checks, as the buffer may have been detached or shrunk meanwhile.
 */
export function inRange(buf: Uint8Array, offset: number, length: number): boolean {
  if (!(buf instanceof Uint8Array) || typeof offset !== 'number' || typeof length !== 'number') return false;
  // (x >>> 0) === x: an integer in 0 .. 2^32-1 (NaN, fractions and negatives fail; a BigInt would throw).
  return (offset >>> 0) === offset && (length >>> 0) === length && offset + length <= buf.byteLength;
}

/**
 * Any ArrayBufferView as the Uint8Array over its bytes, so an Int32Array,
 * a Float64Array or a DataView is read into and written from like a Buffer,
 * with offset and length counted in bytes (as Node's fs.read and
 * stream.write take them). Anything else is returned as is, for
 * checkRange to refuse.
 */
export function asBytes<T>(buf: T): T | Uint8Array {
  if (buf instanceof Uint8Array || !ArrayBuffer.isView(buf)) return buf;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function movedBuffer(): RangeError {
  return new RangeError('netpoll: the buffer was detached or shrunk while the operation waited');
}

function cannotWaitHere(): NotPollableError {
  // Go's pollDesc.wait on a descriptor the runtime does not poll.
  return new NotPollableError('waiting for unsupported file type');
}

/** FD.Read; readChunk when buf is null (the bytes go through the scratch buffer into a chunk of their own). */
export class ReadOp extends Op<number | Uint8Array | null> {
  protected declare readonly mode: 'r'; // kindTraits
  buf: Uint8Array | null = null;
  offset = 0;
  length = 0;
  private n = 0;

  /** buf null: readChunk (the chunk is made from the scratch buffer). */
  set(buf: Uint8Array | null, offset: number, length: number, signal: AbortSignal | undefined): this {
    this.buf = buf;
    this.offset = offset;
    this.length = length;
    this.signal = signal;
    return this;
  }

  // Go: a zero-length read succeeds at once, before pollReset and its deadline check.
  protected override instant(): boolean {
    if (this.length !== 0) return false;
    this.n = 0;
    return true;
  }

  protected attempt(): boolean {
    const buf = this.buf, offset = this.offset;
    const length = rwChunk(this.length, (this.fd.ioFlags & STREAM) !== 0);
    let b: Uint8Array;
    if (buf === null) b = scratchBuffer(length);
    else if (!inRange(buf, offset, this.length)) throw movedBuffer();
    else b = offset === 0 ? buf : new Uint8Array(buf.buffer, buf.byteOffset + offset, length);
    const n = readOnce(this.fd.sysfd, b, length);
    if (n >= 0) {
      this.n = n;
      if (n > 0 && n < length && (this.fd.ioFlags & SHORT_DRAINS) !== 0) this.fd.ioFlags |= DRAINED;
      return true;
    }
    if (n === EAGAIN) return false;
    throw new SyscallError('read', -n);
  }

  protected value(): number | Uint8Array | null {
    const n = this.n;
    if (n === 0 && this.length !== 0 && (this.fd.ioFlags & EOF_ON_ZERO) !== 0) return null;
    return this.buf === null ? takeChunk(n) : n; // value() runs before clearArgs
  }

  protected override settledNow(v: number | Uint8Array | null): Promise<number | Uint8Array | null> {
    return v === null ? EOF : typeof v === 'number' ? settled(v) : Promise.resolve(v);
  }

  protected cannotWait(): Error { return new SyscallError('read', C.EAGAIN); }
  protected override clearArgs(): void { this.buf = null; }
}

/** FD.Write: all of it, or the error with the bytes that went (bytesWritten). */
export class WriteOp extends Op<number> {
  protected declare readonly mode: 'w'; // kindTraits
  buf: Uint8Array = EMPTY;
  offset = 0;
  length = 0;
  /** Bytes written so far. */
  nn = 0;

  set(buf: Uint8Array, offset: number, length: number, signal: AbortSignal | undefined): this {
    this.buf = buf;
    this.offset = offset;
    this.length = length;
    this.nn = 0;
    this.signal = signal;
    return this;
  }

  protected attempt(): boolean {
    const buf = this.buf, fd = this.fd;
    if (!inRange(buf, this.offset, this.length)) throw movedBuffer();
    const stream = (fd.ioFlags & STREAM) !== 0;
    let nn = writeSome(fd.sysfd, buf, this.offset, this.length, this.nn, stream, (fd.ioFlags & USE_WRITE) !== 0);
    if (stop === ENOTSOCK && (fd.ioFlags & USE_WRITE) === 0) {
      fd.ioFlags |= USE_WRITE; // a pipe or a file: write(2) from now on
      nn = writeSome(fd.sysfd, buf, this.offset, this.length, nn, stream, true);
    }
    this.nn = nn;
    if (stop === 0) return true;
    if (stop === EAGAIN) return false;
    throw writeError(stop, 'write');
  }

  protected value(): number { return this.nn; }
  protected override settledNow(v: number): Promise<number> { return settled(v); }
  protected override shape(e: unknown): unknown { return withBytesWritten(e, this.nn); }
  protected cannotWait(): Error { return new SyscallError('write', C.EAGAIN); }
  protected override clearArgs(): void { this.buf = EMPTY; }
}

/** FD.Writev: every byte of bufs, one writev(2) per round. */
export class WritevOp extends Op<number> {
  protected declare readonly mode: 'w'; // kindTraits
  private readonly v: Uint8Array[];
  private i = 0;
  private nn = 0;
  private readonly total: number;

  constructor(fd: OpHost, bufs: Uint8Array[], total: number, signal: AbortSignal | undefined) {
    super(fd);
    this.v = bufs;
    this.total = total;
    this.signal = signal;
  }

  protected attempt(): boolean {
    const v = this.v, fd = this.fd;
    const max = (fd.ioFlags & STREAM) !== 0 ? MAX_RW : Number.MAX_SAFE_INTEGER;
    while (this.nn < this.total) {
      while (v[this.i]!.byteLength === 0) this.i++;
      const n = writevOnce(fd.sysfd, v, this.i, max);
      if (n > 0) { this.nn += n; this.i = consume(v, this.i, n); continue; }
      if (n === 0) throw new UnexpectedEOFError();
      if (n === EAGAIN) return false;
      throw new SyscallError('writev', -n);
    }
    return true;
  }

  protected value(): number { return this.nn; }
  protected override shape(e: unknown): unknown { return withBytesWritten(e, this.nn); }
  protected cannotWait(): Error { return new SyscallError('writev', C.EAGAIN); }
}

export interface Accepted {
  sysfd: number;
  /** The peer's sockaddr, exactly as long as the kernel reported. */
  sockaddr: Uint8Array;
}

/** FD.Accept: a connection, non-blocking and close-on-exec. */
export class AcceptOp extends Op<Accepted> {
  protected declare readonly mode: 'r'; // kindTraits
  private got: Accepted | null = null;

  constructor(fd: OpHost, signal: AbortSignal | undefined) {
    super(fd);
    this.signal = signal;
  }

  // A burst of connections is taken at once; only a long run counts against the slice.
  protected override charge(): boolean {
    const fd = this.fd;
    if (++fd.acceptRun <= ACCEPT_RUN || spend()) return true;
    fd.acceptRun = 0;
    return false;
  }

  protected attempt(): boolean {
    const nfd = acceptOnce(this.fd.sysfd);
    if (nfd >= 0) { this.got = { sysfd: nfd, sockaddr: acceptedSockaddr() }; return true; }
    if (nfd === EAGAIN) { this.fd.acceptRun = 0; return false; }
    // EMFILE, ENFILE and the rest: the caller decides; no retry here, so no busy loop.
    throw new SyscallError('accept', -nfd);
  }

  protected value(): Accepted { return this.got!; }
  protected cannotWait(): Error { return new SyscallError('accept', C.EAGAIN); }
}

/**
 * Go's netFD.connect: connect(2); EINPROGRESS, EALREADY or EINTR → wait
 * writable → SO_ERROR, until it says connected or fails.
 */
export class ConnectOp extends Op<void> {
  protected declare readonly mode: 'w'; // kindTraits
  private started = false;
  private readonly intOut = new Int32Array(1);

  constructor(fd: OpHost, private readonly sockaddr: Uint8Array, private readonly length: number,
              signal: AbortSignal | undefined) {
    super(fd);
    this.signal = signal;
  }

  protected attempt(): boolean {
    const sysfd = this.fd.sysfd;
    if (!this.started) {
      this.started = true;
      const r = sock.connect(sysfd, this.sockaddr, this.length);
      if (r === 0 || r === EISCONN) return true;
      if ((r !== EINPROGRESS && r !== EALREADY && r !== EINTR) || this.fd.pollDesc === null) throw new SyscallError('connect', -r);
      return false;
    }
    let e: number;
    do e = sock.getsockoptInt(sysfd, C.SOL_SOCKET, C.SO_ERROR, this.intOut); while (e === EINTR);
    if (e < 0) throw new SyscallError('getsockopt', -e);
    const so = -this.intOut[0]!;
    if (so === EINPROGRESS || so === EALREADY || so === EINTR) return false;
    if (so === EISCONN) return true;
    // A spurious wake-up reads 0 while still connecting (Go issues 14548, 19289).
    if (so === 0) return hasPeer(sysfd);
    throw new SyscallError('connect', -so);
  }

  protected value(): void { return undefined; }
  protected override settledNow(): Promise<void> { return DONE; }
  protected cannotWait(): Error { return new SyscallError('connect', C.EINPROGRESS); }
}

/**
 * FD.WaitRead / WaitWrite: resolves once the descriptor is ready. The
 * poller is edge-triggered, so the kernel is asked (poll with no wait)
 * before parking: readiness consumed earlier gives no new edge.
 */
export class WaitOp extends Op<void> {
  protected readonly mode: 'r' | 'w';

  constructor(fd: OpHost, read: boolean, signal: AbortSignal | undefined) {
    super(fd);
    this.mode = read ? 'r' : 'w';
    this.signal = signal;
  }

  protected attempt(): boolean {
    // Go's WaitRead/WaitWrite on a descriptor outside the poller fail, ready or not.
    if (this.fd.pollDesc === null) throw cannotWaitHere();
    const ev = sock.pollNow(this.fd.sysfd, this.mode === 'r' ? sock.POLLIN : sock.POLLOUT);
    if (ev < 0) throw new SyscallError('poll', -ev);
    return ev !== 0;
  }

  protected value(): void { return undefined; }
  protected override settledNow(): Promise<void> { return DONE; }
  protected cannotWait(): Error { return cannotWaitHere(); }
}

/** FD.RawRead / RawWrite: the caller's own system call, fn(sysfd), until it returns true. */
export class RawOp extends Op<void> {
  protected readonly mode: 'r' | 'w';

  constructor(fd: OpHost, read: boolean, private readonly fn: (sysfd: number) => boolean, signal: AbortSignal | undefined) {
    super(fd);
    this.mode = read ? 'r' : 'w';
    this.signal = signal;
  }

  protected attempt(): boolean { return this.fn(this.fd.sysfd) === true; }
  protected value(): void { return undefined; }
  protected override settledNow(): Promise<void> { return DONE; }
  protected cannotWait(): Error { return cannotWaitHere(); }
}

/** Spare ReadOps and WriteOps for reads and writes without a signal (OpPool). */
export const readOps = new OpPool((fd) => new ReadOp(fd));
export const writeOps = new OpPool((fd) => new WriteOp(fd));

kindTraits(ReadOp, { mode: 'r', wraps: 'read', parksWhenDrained: true, mayBeInstant: true, pool: readOps });
kindTraits(WriteOp, { mode: 'w', wraps: 'write', pool: writeOps });
kindTraits(WritevOp, { mode: 'w', wraps: 'write' });
kindTraits(AcceptOp, { mode: 'r', ownCharge: true });
kindTraits(ConnectOp, { mode: 'w' });
