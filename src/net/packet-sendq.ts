// Write coalescing under the one-datagram write API. Datagrams written in
// one burst are copied into a native ring at once (the caller may reuse its
// buffer as soon as writeTo returns) and go out together in one sendmmsg,
// each promise settling with its own result: its byte count, or its own
// error. sendmmsg stops at the first datagram the kernel refuses and, once
// some went, does not say why; the send is then tried again from that one,
// which gets its errno alone, and the rest go on after it. Order is kept:
// the queue is sent before any other write on the socket, and a datagram
// that does not fit waits in line behind it. The write deadline, close and
// a full socket buffer act on the queued datagrams as on one write.
import { SyscallError } from '../sys/syscall-error.ts';
import { C } from '../sys/constants.ts';
import { SendRing } from '../sys/msg-ring.ts';
import { MAX_BATCH } from '../sys/msg.ts';
import { Op, type OpHost } from '../fd/ops.ts';
import { RECEIVER_FULL } from './packet-ops.ts';

const EINTR = -C.EINTR, EAGAIN = -C.EAGAIN, ENOBUFS = -C.ENOBUFS;
/** Datagrams and bytes one ring holds. */
const RING_SLOTS = 64;
const RING_BYTES = 256 * 1024;
/** Microtask hops a flush waits while more datagrams keep coming (a writer that awaits each write gets its flush on the first). */
const MAX_HOPS = 64;

type Settle = (v: number) => void;
type Fail = (e: unknown) => void;

let capturedResolve: Settle = () => undefined;
let capturedReject: Fail = () => undefined;
function capture(resolve: Settle, reject: Fail): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** What the queue needs of its PacketConn. */
export interface SendQueueHost {
  /** An error as the caller sees it (an OpError). */
  wrapWrite(e: unknown): unknown;
  /** Datagrams read ahead are waiting to be served. */
  serving(): boolean;
  /** Waits ms before a full unixgram receiver is tried again; rejects past the write deadline. */
  pause(ms: number): Promise<void>;
}

interface Overflow { data: Uint8Array; sa: Uint8Array | null; resolve: Settle; reject: Fail }

/** The flush: sendmmsg until every queued datagram went or failed on its own; EAGAIN parks. */
class FlushOp extends Op<number> {
  protected readonly mode = 'w';
  constructor(fd: OpHost, private readonly q: SendQueue) { super(fd); }
  protected attempt(): boolean { return this.q.sendAll(this.fd.sysfd); }
  protected value(): number { return 0; }
  protected cannotWait(): Error { return new SyscallError('sendmmsg', C.EAGAIN); }
}

const MAX_BACKOFF_MS = 32;

export class SendQueue {
  private ring: SendRing | null = null;
  private resolves: Settle[] = [];
  private rejects: Fail[] = [];
  private overflow: Overflow[] = [];
  private readonly op: FlushOp;
  private flushing = false;
  /**
   * Flushes that carried one datagram while its reader still had datagrams
   * held, since the last flush of several: the writer awaits each write, so
   * queueing only delays it (PacketConn then writes at once).
   */
  lonely = 0;
  /** The last attempt sent everything (set by sendAll). */
  private completed = false;
  private scheduled = false;
  private seen = 0;
  private hops = 0;
  private readonly tick = (): void => this.onTick();

  constructor(fd: OpHost, private readonly unix: boolean, private readonly host: SendQueueHost) {
    this.op = new FlushOp(fd, this);
  }

  /** Datagrams queued and not yet settled. */
  get pending(): number { const r = this.ring; return (r === null ? 0 : r.count - r.sent) + this.overflow.length; }

  /** Datagrams larger than this are not queued (they go on their own, after the queue). */
  static readonly MAX_QUEUED = RING_BYTES;

  /** Queues one datagram (copied now); settles with its byte count or its own error. */
  push(buf: Uint8Array, off: number, len: number, sa: Uint8Array | null, saLen: number): Promise<number> {
    const p = new Promise<number>(capture);
    const r = (this.ring ??= new SendRing(RING_SLOTS, RING_BYTES));
    if (!this.flushing && this.overflow.length === 0 && r.fits(len)) {
      const i = r.push(buf, off, len, sa, saLen);
      this.resolves[i] = capturedResolve;
      this.rejects[i] = capturedReject;
      if (r.count === r.cap) this.flush();
      // seen starts below the count: the first hop always waits, so a writer's next write (one await away) can join.
      else if (!this.scheduled) { this.scheduled = true; this.seen = -1; this.hops = 0; queueMicrotask(this.tick); }
    } else {
      this.overflow.push({ data: buf.slice(off, off + len), sa: sa === null ? null : sa.slice(0, saLen), resolve: capturedResolve, reject: capturedReject });
      if (!this.flushing) this.flush();
    }
    return p;
  }

  private onTick(): void {
    const now = this.pending;
    // More came since the last look: a burst is still being written; wait one more hop (bounded).
    if (now > this.seen && this.hops < MAX_HOPS && !this.flushing) {
      this.seen = now;
      this.hops++;
      queueMicrotask(this.tick);
      return;
    }
    this.scheduled = false;
    // One datagram, and the reader has datagrams held yet wrote no more: it is waiting on this write.
    if (now === 1 && this.host.serving()) this.lonely++;
    this.flush();
  }

  /** Starts sending what is queued, now (synchronously where the socket takes it). */
  flush(): void {
    if (this.flushing || this.pending === 0) return;
    const p = this.start();
    // The common case: every datagram went (or failed alone) in this call.
    if (this.completed && this.overflow.length === 0) { this.done(); return; }
    this.flushing = true;
    void this.finish(p);
  }

  private start(): Promise<number> {
    this.refill();
    this.completed = false;
    return this.op.run();
  }

  /** A flush that parked, met a full unixgram receiver, or has more waiting behind it. */
  private async finish(p: Promise<number>): Promise<void> {
    let backoff = 1;
    for (;;) {
      try {
        await p;
      } catch (e) {
        let err: unknown = e;
        if (this.unix && e === RECEIVER_FULL) {
          // A full unixgram receiver gives no writability edge: try again on a short timer, until the write deadline.
          try {
            await this.host.pause(backoff);
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
            p = this.start();
            continue;
          } catch (pe) {
            err = pe;
          }
        }
        this.failAll(this.host.wrapWrite(err));
        break;
      }
      backoff = 1;
      if (this.overflow.length === 0) break;
      p = this.start();
    }
    this.done();
    this.flushing = false;
  }

  /** A flush cycle ended: a burst of several clears the lonely count; the ring is emptied. */
  private done(): void {
    const r = this.ring;
    if (r === null) return;
    if (r.count > 1) this.lonely = 0;
    r.clear();
  }

  /** Moves waiting datagrams into an emptied ring, in order. */
  private refill(): void {
    const r = this.ring!;
    if (r.sent === r.count) r.clear();
    while (this.overflow.length > 0) {
      const o = this.overflow[0]!;
      if (!r.fits(o.data.byteLength)) break;
      this.overflow.shift();
      const i = r.push(o.data, 0, o.data.byteLength, o.sa, o.sa === null ? 0 : o.sa.byteLength);
      this.resolves[i] = o.resolve;
      this.rejects[i] = o.reject;
    }
  }

  /** @internal FlushOp's attempt: true when all went (or failed alone), false on EAGAIN. */
  sendAll(sysfd: number): boolean {
    const r = this.ring!;
    for (;;) {
      while (r.sent < r.count) {
        const from = r.sent;
        let res: number;
        do res = r.send(sysfd, MAX_BATCH); while (res === EINTR);
        if (res > 0) {
          for (let i = from; i < from + res; i++) { const s = this.resolves[i]!; this.clearSlot(i); s(r.length(i)); }
          continue;
        }
        if (res === EAGAIN || res === ENOBUFS) {
          if (this.unix) throw RECEIVER_FULL;
          if (res === EAGAIN) return false;
        }
        // This datagram's own error (EMSGSIZE, ECONNREFUSED, …); the ones after it still go.
        const f = this.rejects[from]!;
        this.clearSlot(from);
        r.sent++;
        f(this.host.wrapWrite(new SyscallError('sendto', -res)));
      }
      if (this.overflow.length === 0) { this.completed = true; return true; }
      this.refill();
    }
  }

  private clearSlot(i: number): void {
    this.resolves[i] = NOOP;
    this.rejects[i] = NOOP;
  }

  private failAll(err: unknown): void {
    const r = this.ring;
    if (r !== null) {
      for (let i = r.sent; i < r.count; i++) { const f = this.rejects[i]!; this.clearSlot(i); f(err); }
      r.sent = r.count;
    }
    const o = this.overflow;
    this.overflow = [];
    for (const x of o) x.reject(err);
  }

  /** Close: what is still queued fails with err once the flush gives up; the ring is given back after. */
  release(): void {
    const r = this.ring;
    if (r === null) return;
    if (!this.flushing) { this.ring = null; r.free(); return; }
    // A flush in flight fails on the closed descriptor; free after it.
    const wait = (): void => { if (this.flushing) setTimeout(wait, 1); else { this.ring = null; r.free(); } };
    setTimeout(wait, 1);
  }
}

const NOOP = (): void => undefined;
