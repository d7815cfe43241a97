// One connection of serve(): a descriptor, its PollDesc and a few flags.
// Idle, it holds no buffer, no promise and no async frame: it is itself the
// Parker on its PollDesc. On readiness it reads into the one scratch buffer
// every connection shares and hands each chunk to the handler
// synchronously: nothing can run between the read(2) and the handler, so no
// other connection can overwrite the bytes (the crossing an async loop over
// a shared buffer suffers). Writes go to the kernel at once; only what it
// did not take is copied and queued until the socket drains. The system
// calls go through the same loops as FD's (fd/io.ts); what is lean here is
// only the state around them: no fd-mutex, no promise, no op record.
import { AsyncResource } from 'node:async_hooks';
import { markAsUntransferable } from 'node:worker_threads';
import {
  consume, EAGAIN, readOnce, release, sockname, stop, writeError, writeOnce, writeSome, writevOnce, WROTE_ZERO,
} from '../fd/io.ts';
import { asBytes } from '../fd/op-kinds.ts';
import { SCRATCH_SIZE } from '../fd/scratch.ts';
import { defer, spend, type Deferred } from '../netpoll/budget.ts';
import type { Netpoll, Parker, PollDesc } from '../netpoll/index.ts';
import type { DeadlineInput } from '../netpoll/deadline.ts';
import { NetClosingError } from '../netpoll/errors.ts';
import { debug } from '../netpoll/debug.ts';
import { C } from '../sys/constants.ts';
import { decodeSockaddr } from '../sys/sockaddr.ts';
import * as sock from '../sys/socket.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { Addr, type Network } from './addr.ts';
import { OpError } from './errors.ts';
import { unpackPeer, type PackedPeer } from './peer.ts';

/** What serve() calls; `this` is the handler object. */
export interface ServeHandler {
  /** A new connection, before its first read. */
  onConnect?(c: ServeConn): void;
  /**
   * Bytes arrived. `chunk` views a buffer shared by every connection: valid
   * only during this call (copy to keep). The same view object may come
   * again for a later read of the same length.
   */
  onData(c: ServeConn, chunk: Uint8Array): void;
  /** The peer closed its sending side. Unless allowHalfOpen, the connection then ends its side too. */
  onEnd?(c: ServeConn): void;
  /** Everything queued by write() went out (after write() returned false). */
  onDrain?(c: ServeConn): void;
  /**
   * A read or write failed (an OpError: ECONNRESET, EPIPE, ETIMEDOUT for a
   * deadline…), or a handler threw (that error, as is). The connection is
   * closed afterwards, except after a read timeout for which this handler
   * set a new read deadline.
   */
  onError?(c: ServeConn, e: unknown): void;
  /** The descriptor was released, for whatever reason; called once. */
  onClose?(c: ServeConn): void;
}

/** Per-server state every connection shares. */
export interface ServeContext {
  readonly np: Netpoll;
  readonly h: ServeHandler;
  readonly network: Network;
  /** The local address when the listener is bound to one; null for a wildcard. */
  readonly local: Addr | null;
  readonly readDeadlineMs: number;
  readonly allowHalfOpen: boolean;
  readonly highWaterMark: number;
  /** The connections open now (stats: count and bytes buffered). */
  readonly open: Set<ServeConn>;
}

export { SCRATCH_SIZE };

// serve()'s own read buffer, zeroed, never handed over. Not readChunk()'s
// scratch: a handler may call readChunk() on another connection while its
// chunk is still in use.
let readBuf: Uint8Array | null = null;

/**
 * The shared read buffer, untransferable as Node's Buffer pool is: a
 * handler that puts its chunk's .buffer in a transfer list gets a copy
 * instead of detaching the buffer under every later read. One found
 * detached anyway (ArrayBuffer.prototype.transfer, where it exists) is replaced.
 */
function sharedReadBuffer(): Uint8Array {
  let b = readBuf;
  if (b === null || b.byteLength === 0) {
    b = readBuf = new Uint8Array(SCRATCH_SIZE);
    markAsUntransferable(b.buffer);
    views.fill(EMPTY_VIEW);
  }
  return b;
}

// Views of the read buffer's first n bytes, kept by n (direct-mapped): a
// steady stream of same-sized messages makes no view per read (a fresh
// subarray() was most of what serve() allocated per round trip). A chunk
// is valid only during onData, so handing the same view again is safe. A
// view of a detached buffer has length 0 and never matches; sharedReadBuffer
// still drops them all, so they do not keep the old buffer alive.
const VIEW_SLOTS = 64;
const EMPTY_VIEW = new Uint8Array(0);
const views: Uint8Array[] = new Array<Uint8Array>(VIEW_SLOTS).fill(EMPTY_VIEW);

/** The read buffer's first n bytes (n > 0). */
function chunkView(buf: Uint8Array, n: number): Uint8Array {
  const i = n & (VIEW_SLOTS - 1);
  const v = views[i]!;
  if (v.byteLength === n) return v;
  return (views[i] = buf.subarray(0, n));
}
/** read(2)s one connection may do per readiness before the others get a turn. */
export const MAX_READS = 16;

const EPIPE = C.EPIPE, ENOTCONN = C.ENOTCONN;

// Flags in ServeConn.st.
const WAIT_R = 1, WAIT_W = 2, EOF = 4, ENDING = 8, WR_SHUT = 16, CLOSED = 32, BROKEN = 64, PAUSED = 128, QUEUED = 256;

// Connections whose last read was short: read once more when the drain that
// served them is over (a microtask), not straight away. A short read during
// that pass waits for the next loop turn instead.
let confirm: ServeConn[] = [];
let confirmArmed = false;
let confirming = false;
function runConfirm(): void {
  confirmArmed = false;
  const list = confirm;
  confirm = [];
  confirming = true;
  try {
    for (const c of list) c.resume();
  } finally {
    confirming = false;
  }
}

/** Rethrows outside any promise chain: a throwing handler with no onError is an uncaught exception, as in node:net. */
function rethrow(e: unknown): void {
  queueMicrotask(() => { throw e; });
}

export class ServeConn implements Parker, Deferred {
  /** Yours: per-connection state for the handler. */
  data: unknown = undefined;
  private readonly ctx: ServeContext;
  private fd: number;
  private pd: PollDesc | null;
  private st = 0;
  /** Bytes the kernel has not taken yet, in order; null when nothing waits. */
  private out: Uint8Array[] | null = null;
  private readonly peer: PackedPeer;
  /**
   * The async context the connection was accepted in: the poller's and the
   * budget's callbacks run the handlers in it, so an AsyncLocalStorage store
   * set around serve() is the one its handlers see (made at accept, as a
   * net.Socket's handle is).
   */
  private readonly scope = new AsyncResource('NETPOLL_SERVE_CONN');

  /** @internal serve() makes these. */
  constructor(ctx: ServeContext, sysfd: number, pd: PollDesc, peer: PackedPeer) {
    this.ctx = ctx;
    this.fd = sysfd;
    this.pd = pd;
    this.peer = peer;
    ctx.open.add(this);
  }

  /** The peer's address (made on each call; IPv4 peers are kept packed). */
  get remoteAddr(): Addr { return unpackPeer(this.peer); }

  /** The local address: the listener's when it is bound to one, else asked of the kernel. */
  get localAddr(): Addr {
    if (this.ctx.local !== null) return this.ctx.local;
    const sa = this.fd < 0 ? -1 : sockname(this.fd, false);
    return typeof sa === 'number' ? Addr.tcp(null, 0) : Addr.fromSockaddr(decodeSockaddr(sa));
  }

  /** The descriptor; -1 once closed. */
  get sysfd(): number { return this.fd; }
  get closed(): boolean { return (this.st & CLOSED) !== 0; }
  /** Bytes written but not yet taken by the kernel. */
  get bufferedAmount(): number {
    let n = 0;
    if (this.out !== null) for (const b of this.out) n += b.byteLength;
    return n;
  }

  /**
   * Sends now; what the kernel does not take is copied and sent when the
   * socket is writable, in order. True when everything went out. After the
   * connection closed (or a write failed) it does nothing and returns false;
   * the failure reaches onError once the current handler returns.
   */
  write(view: ArrayBufferView): boolean {
    const data = asBytes(view);
    if (!(data instanceof Uint8Array)) throw new TypeError('netpoll: write takes a Uint8Array, Buffer or other ArrayBufferView');
    const st = this.st;
    if ((st & (CLOSED | BROKEN)) !== 0) return false;
    if ((st & ENDING) !== 0) throw this.opError('write', new SyscallError('write', EPIPE));
    if (this.out !== null) {
      if (data.byteLength > 0) this.out.push(data.slice());
      return false;
    }
    const len = data.byteLength;
    if (len === 0) return true;
    const off = writeSome(this.fd, data, 0, len, 0, true, false);
    if (stop === 0) return true;
    if (stop === EAGAIN) {
      this.out = [data.slice(off)];
      this.waitFor('w', true);
    } else {
      this.broke('write', writeError(stop, 'write'));
    }
    return false;
  }

  /** Half-close once everything queued is sent: the peer reads EOF. Reading goes on until the peer's EOF, then the connection closes. */
  end(): void {
    if ((this.st & (CLOSED | ENDING)) !== 0) return;
    this.st |= ENDING;
    if (this.out === null) this.shutWrite();
  }

  /** Closes now: queued bytes are dropped, the poll descriptor released, then close(2). Idempotent. */
  close(): void {
    if ((this.st & CLOSED) !== 0) return;
    this.st |= CLOSED;
    this.ctx.open.delete(this);
    this.out = null;
    const pd = this.pd, fd = this.fd;
    this.pd = null;
    this.fd = -1;
    // Disarm before close(2) (Go's destroy); the parked waits fail with the closed error (pdFail ignores it).
    const r = release(pd, fd);
    if (r < 0) debug('net: serve: close fd %d: errno %d', fd, -r);
    const onClose = this.ctx.h.onClose;
    if (onClose !== undefined) {
      try { onClose.call(this.ctx.h, this); } catch (e) { rethrow(e); }
    }
  }

  /** Read deadline: a Date or epoch ms; null or 0 clears. Past it a parked read fails with ETIMEDOUT. */
  setReadDeadline(d: DeadlineInput): void { this.setDeadlineMode(d, 'r'); }
  /** Write deadline for bytes still queued: past it the connection fails with ETIMEDOUT. */
  setWriteDeadline(d: DeadlineInput): void { this.setDeadlineMode(d, 'w'); }

  private setDeadlineMode(d: DeadlineInput, mode: 'r' | 'w'): void {
    const pd = this.pd;
    if (pd === null) throw this.opError('set', new NetClosingError());
    try {
      pd.setDeadline(d ?? null, mode);
    } catch (e) {
      throw e instanceof TypeError || e instanceof RangeError ? e : this.opError('set', e);
    }
  }

  // ---- reading --------------------------------------------------------------

  /** @internal The first read, straight after accept: data may already be there. */
  start(): void {
    const h = this.ctx.h;
    if (h.onConnect !== undefined) {
      try { h.onConnect(this); } catch (e) { this.handlerFailed(e); return; }
      if ((this.st & CLOSED) !== 0) return;
    }
    this.pump();
  }

  /** @internal From the budget's queue: this connection's turn came. */
  runDeferred(): void { this.resume(); }

  /** @internal Reads again (after the confirm pass or a deferred turn). */
  resume(): void { this.scope.runInAsyncScope(this.resumeNow, this); }

  private resumeNow(): void {
    this.st &= ~QUEUED;
    if ((this.st & (CLOSED | BROKEN | EOF | PAUSED)) === 0) this.pump();
  }

  /** @internal From the PollDesc: readable or writable. */
  pdReady(mode: 'r' | 'w'): void { this.scope.runInAsyncScope(this.ready, this, mode); }

  private ready(mode: 'r' | 'w'): void {
    if (mode === 'r') {
      this.st &= ~WAIT_R;
      if ((this.st & CLOSED) === 0) this.pump();
    } else {
      this.st &= ~WAIT_W;
      if ((this.st & CLOSED) === 0) this.flush();
    }
  }

  /** @internal From the PollDesc: a wait failed (deadline, kernel error; closing when close() ran). */
  pdFail(mode: 'r' | 'w', err: Error): void { this.scope.runInAsyncScope(this.waitFailed, this, mode, err); }

  private waitFailed(mode: 'r' | 'w', err: Error): void {
    this.st &= mode === 'r' ? ~WAIT_R : ~WAIT_W;
    if ((this.st & CLOSED) === 0) this.fail(mode === 'r' ? 'read' : 'write', err);
  }

  /** Reads until the socket is drained, the budget is spent or the handler stops it. */
  private pump(): void {
    const buf = sharedReadBuffer();
    const ctx = this.ctx, h = ctx.h;
    for (let i = 0; i < MAX_READS; i++) {
      // Counted against the turn's slice: once it is spent the drain harvests no more (timers are waiting).
      spend();
      const n = readOnce(this.fd, buf, SCRATCH_SIZE);
      if (n > 0) {
        try { h.onData(this, chunkView(buf, n)); } catch (e) { this.handlerFailed(e); return; }
        if ((this.st & (CLOSED | BROKEN)) !== 0) return;
        if (this.out !== null && this.bufferedAmount > ctx.highWaterMark) {
          this.st |= PAUSED; // resumed by the flush that empties the queue
          return;
        }
        if (n === SCRATCH_SIZE) continue; // more may be waiting
        // A short read drained the socket (epoll(7)): with nothing heard since,
        // park without the read(2) that would say EAGAIN; bytes that come later
        // make a new edge.
        if (this.pd!.readQuiet()) { this.waitFor('r'); return; }
        // Unless a FIN or TCP's urgent mark came with the data: those make no
        // new edge, so the read(2) that tells must still happen. It waits until
        // the rest of this drain is served: by then a busy request-response
        // peer has often sent again, and the read finds data instead of EAGAIN.
        if (confirming) { this.queue(); return; }
        this.st |= QUEUED;
        confirm.push(this);
        if (!confirmArmed) { confirmArmed = true; queueMicrotask(runConfirm); }
        return;
      }
      if (n === EAGAIN) { this.waitFor('r'); return; }
      if (n === 0) { this.gotEOF(); return; }
      this.fail('read', new SyscallError('read', -n));
      return;
    }
    this.queue();
  }

  /**
   * The system call said EAGAIN: wait for mode (Go's pollReset, then
   * pollWait). An edge remembered from before that call is stale, so park()
   * finds no readiness and parks. A read wait first moves the idle deadline.
   */
  private waitFor(mode: 'r' | 'w', inHandler = false): void {
    const pd = this.pd!;
    const ms = this.ctx.readDeadlineMs;
    try {
      if (mode === 'r' && ms > 0) pd.setDeadline(Date.now() + ms, 'r');
      const e = pd.prepare(mode);
      if (e !== null) throw e;
      pd.park(mode, this);
    } catch (e) {
      // Inside write(), within a handler's call (an expired write deadline, a
      // closing pd): onError and onClose must not run before write() returns.
      if (inHandler) this.broke('write', e as Error);
      else this.fail(mode === 'r' ? 'read' : 'write', e);
      return;
    }
    this.st |= mode === 'r' ? WAIT_R : WAIT_W;
  }

  private queue(): void {
    this.st |= QUEUED;
    defer(this);
  }

  private gotEOF(): void {
    this.st |= EOF;
    const h = this.ctx.h;
    if (h.onEnd !== undefined) {
      try { h.onEnd(this); } catch (e) { this.handlerFailed(e); return; }
    }
    if ((this.st & CLOSED) !== 0) return;
    if ((this.st & WR_SHUT) !== 0) { this.close(); return; } // both directions done
    if (!this.ctx.allowHalfOpen) this.end();
  }

  // ---- writing --------------------------------------------------------------

  /** Sends the queue, one writev per round; on EAGAIN waits again. */
  private flush(): void {
    const q = this.out!;
    let i = 0;
    while (i < q.length) {
      const last = i === q.length - 1;
      const n = last ? writeOnce(this.fd, q[i]!, q[i]!.byteLength, false) : writevOnce(this.fd, q, i, Number.MAX_SAFE_INTEGER);
      if (n > 0) { i = consume(q, i, n); continue; }
      if (n === EAGAIN) {
        if (i > 0) q.splice(0, i);
        this.waitFor('w');
        return;
      }
      this.fail('write', n === 0 ? writeError(WROTE_ZERO, 'write') : new SyscallError(last ? 'write' : 'writev', -n));
      return;
    }
    this.out = null;
    if ((this.st & ENDING) !== 0) {
      this.shutWrite();
      if ((this.st & CLOSED) !== 0) return;
    }
    const h = this.ctx.h;
    if (h.onDrain !== undefined) {
      try { h.onDrain(this); } catch (e) { this.handlerFailed(e); return; }
      if ((this.st & CLOSED) !== 0 || this.out !== null) return;
    }
    if ((this.st & PAUSED) !== 0) {
      this.st &= ~PAUSED;
      if ((this.st & (EOF | BROKEN | QUEUED | WAIT_R)) === 0) this.pump();
    }
  }

  private shutWrite(): void {
    if ((this.st & EOF) !== 0) { this.close(); return; }
    this.st |= WR_SHUT;
    const r = sock.shutdown(this.fd, C.SHUT_WR);
    // ENOTCONN: the peer is already gone; the read side will say so.
    if (r < 0 && r !== -ENOTCONN) this.broke('close', new SyscallError('shutdown', -r));
  }

  // ---- failures -------------------------------------------------------------

  private opError(op: string, cause: unknown): OpError {
    const ctx = this.ctx;
    return new OpError({ op, net: ctx.network, source: ctx.local, addr: unpackPeer(this.peer), cause });
  }

  /** A write failed inside a handler's call: stop writing now, report once the handler has returned. */
  private broke(op: 'write' | 'close', cause: Error): void {
    this.st |= BROKEN;
    this.out = null;
    queueMicrotask(() => this.fail(op, cause));
  }

  /** onError, then close, unless a read timeout's handler moved the deadline. */
  private fail(op: string, cause: unknown): void {
    if ((this.st & CLOSED) !== 0) return;
    const h = this.ctx.h;
    if (h.onError !== undefined) {
      const e = this.opError(op, cause);
      try {
        h.onError(this, e);
      } catch (x) {
        this.close();
        rethrow(x);
        return;
      }
      if (e.timeout && op === 'read' && (this.st & (CLOSED | BROKEN)) === 0 && this.pd!.checkErr('r') === null) {
        this.waitFor('r');
        return;
      }
    } else {
      debug('net: serve: %s fd %d: %o', op, this.fd, cause);
    }
    this.close();
  }

  private handlerFailed(e: unknown): void {
    this.close();
    const onError = this.ctx.h.onError;
    if (onError === undefined) { rethrow(e); return; }
    try { onError.call(this.ctx.h, this, e); } catch (x) { rethrow(x); }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ServeConn<${this.ctx.network} ${String(this.remoteAddr)}${this.closed ? ' closed' : ''}>`;
  }
}
