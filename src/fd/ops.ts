// One shape for every FD operation, in Go's order (fd_unix.go): take the
// read or write lock, prepare (pollReset: the pending error, or forget stale
// readiness), try the system call, and on EAGAIN park on the PollDesc; when
// the poller says ready, try again. Each operation kind (op-kinds.ts) only
// says how to try and what it returns.
//
// An operation that completes at once returns an already-settled promise
// and leaves nothing behind. One that parks is its own record: the Parker
// on the PollDesc, the Deferred in the budget's queue (the one fairness
// mechanism: every operation counts against the turn's slice, and once it
// is spent the operation waits for a later turn), and the abort listener.
// Retrying, failing and taking itself back on abort are its own methods;
// the FD it runs on only lends its state (OpHost).
import { defer, spend, type Deferred } from '../netpoll/budget.ts';
import { NetClosingError, type Parker, type PollDesc } from '../netpoll/index.ts';
import { CLOSED, LOCKED, type FdMutex } from './fd-mutex.ts';

// OpHost.ioFlags
export const STREAM = 1, EOF_ON_ZERO = 2, USE_WRITE = 4;
/**
 * SHORT_DRAINS: a stream socket, where a read that returns less than it
 * asked for has taken everything the kernel had (epoll(7)); DRAINED: the
 * last read-side system call was such a read.
 */
export const SHORT_DRAINS = 8, DRAINED = 16;
/** BLOCKING: outside the poller (operations block the thread). */
export const BLOCKING = 32;
/** FD.acceptRun lives in ioFlags from this bit up. */
export const ACCEPT_RUN_SHIFT = 8;

/** Turns an FD's errors into the caller's shape (Conn makes OpErrors) before a promise rejects. */
export interface ErrorWrapper {
  wrapError(op: 'read' | 'write', e: unknown, signal: AbortSignal | undefined): unknown;
}

/** What an operation needs of its FD. */
export interface OpHost {
  readonly sysfd: number;
  /** null for a descriptor outside the poller (blocking mode). */
  readonly pollDesc: PollDesc | null;
  readonly mu: FdMutex;
  /** STREAM | EOF_ON_ZERO | USE_WRITE | SHORT_DRAINS | DRAINED | BLOCKING. */
  ioFlags: number;
  /** Accepts in a row since the last EAGAIN or deferral. */
  acceptRun: number;
  readonly errorWrapper: ErrorWrapper | null;
  /** Lets go of the read (or write) lock; the last reference of a closed FD releases the descriptor. */
  unlock(read: boolean): void;
}

// A promise's resolving functions without a closure per promise: the
// executor runs synchronously inside `new Promise`, and they are read at once.
let capturedResolve: (v: never) => void = () => undefined;
let capturedReject: (e: unknown) => void = () => undefined;
function capture(resolve: (v: never) => void, reject: (e: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}
const NOOP = (): void => undefined;

// Op.bits. ABANDONED: failed by an abort while queued for the budget, so the
// queue entry is skipped. POOLED: taken from an OpPool; goes back once settled.
const WATCHING = 1, ABANDONED = 2, POOLED = 4;

// The callbacks run inside the poller's drain or the budget's turn: a throw
// there (a bug, or a buffer the FFI refuses) fails this op, never the drain.
export abstract class Op<T> implements Parker, Deferred {
  signal: AbortSignal | undefined = undefined;
  private resolve: (v: T) => void = NOOP;
  private reject: (e: unknown) => void = NOOP;
  /** WATCHING | ABANDONED | SPARE_KIND. */
  private bits = 0;
  /** The FD this record works for; a spare record (OpPool) changes owner between operations. */
  protected fd: OpHost;
  constructor(fd: OpHost) { this.fd = fd; }

  /** 'r' holds the read lock and waits for readability, 'w' the write side (a trait of most kinds). */
  protected abstract readonly mode: 'r' | 'w';
  // Per kind, not per record: these live on the prototype (kindTraits), so an
  // idle connection's parked op carries no field for them.
  /** A plain read: after a short read with nothing heard since, it parks without trying (see DRAINED). */
  protected declare readonly parksWhenDrained: boolean;
  /** The owner's wrapper that applies to this op's errors (null: none). */
  protected declare readonly wraps: 'read' | 'write' | null;
  /** instant() may say true (a read): other kinds skip the call on the hot path. */
  protected declare readonly mayBeInstant: boolean;
  /** charge() is overridden (accept's bursts): other kinds call spend() directly. */
  protected declare readonly ownCharge: boolean;
  /** The kind's spare records (reads and writes): null for kinds made fresh each time. */
  protected declare readonly pool: { give(op: Op<T>): void } | null;

  /** The system call: true when done, false on EAGAIN (park); throws the failure. */
  protected abstract attempt(): boolean;
  /** The result, once attempt() returned true; called before the lock is let go. */
  protected abstract value(): T;
  /** Done without a system call (Go: a zero-length read); default never. */
  protected instant(): boolean { return false; }
  /** Counts the op against the turn's slice; false puts it off to a later turn. */
  protected charge(): boolean { return spend(); }
  /** Why the op cannot wait for readiness on a descriptor outside the poller. */
  protected abstract cannotWait(): Error;
  /** The error as the caller sees it (a write adds the bytes that went). */
  protected shape(e: unknown): unknown { return e; }
  /** Forgets the arguments: a reused record holds no buffer. */
  protected clearArgs(): void {}
  /** An already-settled promise of v (the synchronous path). */
  protected settledNow(v: T): Promise<T> { return Promise.resolve(v); }

  /** Lock, prepare, try, park. */
  run(): Promise<T> {
    let signal = this.signal;
    if (signal !== undefined) {
      // Checked up front: a parked op listens on it, and a bad one must not fail later inside the drain.
      if (signal === null) signal = this.signal = undefined;
      else if (!(signal instanceof AbortSignal)) return this.rejectNow(new TypeError('netpoll: signal must be an AbortSignal'), false);
      else if (signal.aborted) return this.rejectNow(signal.reason, false);
    }
    const read = this.mode === 'r';
    const s = this.fd.mu.tryRWLock(read);
    if (s === LOCKED) return this.locked();
    if (s === CLOSED) return this.rejectNow(new NetClosingError(), false);
    return this.fd.mu.rwlock(read, signal).then(
      (ok) => (ok ? this.locked() : this.rejectNow(new NetClosingError(), false)),
      (e: unknown) => this.rejectNow(e, false));
  }

  private locked(): Promise<T> {
    const signal = this.signal;
    // Aborted while queued for the lock (the abort itself may have handed it over).
    if (signal !== undefined && signal.aborted) return this.rejectNow(signal.reason, true);
    if (this.mayBeInstant && this.instant()) return this.resolveNow();
    const pd = this.fd.pollDesc;
    const fd = this.fd;
    const drained = this.drainedNow();
    // A read that parks without a system call does no work and ends its task's chain of
    // operations: it is not charged (putting it off would only park it a turn later).
    if (!drained && !(this.ownCharge ? this.charge() : spend())) {
      const p = this.promise();
      this.watch();
      defer(this);
      return p;
    }
    try {
      if (pd !== null) {
        const e = pd.prepare(this.mode);
        if (e !== null) return this.rejectNow(e, true);
        if (drained) {
          const p = this.promise();
          this.park();
          return p;
        }
      }
      if (this.mode === 'r') fd.ioFlags &= ~DRAINED; // a read's attempt sets it again when it comes back short
      if (this.attempt()) return this.resolveNow();
    } catch (e) {
      return this.rejectNow(e, true);
    }
    const p = this.promise();
    this.park();
    return p;
  }

  /** A plain read whose last read came back short, with nothing heard since: the read would say EAGAIN. */
  private drainedNow(): boolean {
    const pd = this.fd.pollDesc;
    return pd !== null && this.parksWhenDrained && (this.fd.ioFlags & DRAINED) !== 0 && pd.readQuiet();
  }

  /** attempt() said EAGAIN: wait for readiness, or try again at once if it came meanwhile. */
  private park(): void {
    const pd = this.fd.pollDesc;
    try {
      if (pd === null) throw this.cannotWait();
      if (!pd.park(this.mode, this)) { this.watch(); return; }
    } catch (e) {
      this.failed(e);
      return;
    }
    this.proceed(false);
  }

  /** Go's loop after a wait (or, with prepare, a deferred start): try; on EAGAIN park again. */
  private proceed(prepare: boolean): void {
    try {
      const pd = this.fd.pollDesc;
      if (prepare && pd !== null) {
        // A deferred start: as locked(), a drained read parks without the read(2).
        const drained = this.drainedNow();
        const e = pd.prepare(this.mode);
        if (e !== null) throw e;
        if (drained) { this.park(); return; }
      }
      if (this.mode === 'r') this.fd.ioFlags &= ~DRAINED;
      if (!this.attempt()) { this.park(); return; }
      const v = this.value();
      const resolve = this.settle();
      this.unlock();
      resolve(v);
      this.recycle();
    } catch (e) {
      if (this.active) this.failed(e);
    }
  }

  private failed(e: unknown): void {
    const err = this.wrap(e);
    const reject = this.reject;
    this.clear();
    this.unlock();
    reject(err);
    this.recycle();
  }

  // The synchronous path: no promise, no listener was made, so only the arguments are forgotten.
  private resolveNow(): Promise<T> {
    const v = this.value();
    this.clearArgs();
    this.signal = undefined;
    this.unlock();
    this.recycle();
    return this.settledNow(v);
  }

  private rejectNow(e: unknown, locked: boolean): Promise<T> {
    const err = this.wrap(e);
    this.clear();
    if (locked) this.unlock();
    this.recycle();
    return Promise.reject(err);
  }

  /** Settled: a pooled record goes back to its pool (nothing refers to it any more). */
  private recycle(): void {
    if ((this.bits & POOLED) === 0) return;
    this.bits = 0;
    this.pool!.give(this);
  }

  /** @internal OpPool: this record now works for fd, and goes back to the pool once settled. */
  bindPooled(fd: OpHost): this {
    this.fd = fd;
    this.bits = POOLED;
    return this;
  }

  private wrap(e: unknown): unknown {
    const err = this.shape(e);
    const w = this.wraps === null ? null : this.fd.errorWrapper;
    return w === null ? err : w.wrapError(this.wraps!, err, this.signal);
  }

  private unlock(): void { this.fd.unlock(this.mode === 'r'); }

  private promise(): Promise<T> {
    const p = new Promise<T>(capture);
    this.resolve = capturedResolve as (v: T) => void;
    this.reject = capturedReject;
    return p;
  }

  /** Not settled yet. */
  private get active(): boolean { return this.reject !== NOOP; }

  /** Clears the op for reuse; returns the resolver, to call after unlocking. */
  private settle(): (v: T) => void {
    const r = this.resolve;
    this.clear();
    return r;
  }

  private clear(): void {
    if ((this.bits & WATCHING) !== 0) { this.signal!.removeEventListener('abort', this); this.bits &= ~WATCHING; }
    this.signal = undefined;
    this.resolve = NOOP;
    this.reject = NOOP;
    this.clearArgs();
  }

  /** Listens for the signal's abort while parked or queued (an EventListener object: no closure). */
  private watch(): void {
    if (this.signal !== undefined && (this.bits & WATCHING) === 0) {
      this.bits |= WATCHING;
      this.signal.addEventListener('abort', this, { once: true });
    }
  }

  /** @internal Budget: this op's turn came (it starts as a new operation: prepare first). */
  runDeferred(): void { if ((this.bits & ABANDONED) === 0) this.proceed(true); }
  /** @internal PollDesc: ready for this op's mode (Go retries the system call whatever error bits came). */
  pdReady(): void { this.proceed(false); }
  /** @internal PollDesc: the wait failed (closing, deadline, kernel error). */
  pdFail(_mode: 'r' | 'w', err: Error): void { this.failed(err); }

  /** @internal The signal aborted. Parked: taken back. Otherwise queued for the budget (a signalled op has a record of its own). */
  handleEvent(): void {
    const reason: unknown = this.signal!.reason;
    const pd = this.fd.pollDesc;
    if (pd === null || !pd.unpark(this.mode, this)) this.bits |= ABANDONED;
    this.failed(reason);
  }
}

/** Sets an op kind's traits on its prototype (see Op.wraps): one object per kind, none per record. */
export function kindTraits(kind: abstract new (...args: never[]) => unknown,
                           traits: {
                             mode?: 'r' | 'w'; wraps?: 'read' | 'write' | null; parksWhenDrained?: boolean;
                             mayBeInstant?: boolean; ownCharge?: boolean; pool?: { give(op: never): void } | null;
                           }): void {
  Object.assign(kind.prototype as object, traits);
}

kindTraits(Op, { wraps: null, parksWhenDrained: false, mayBeInstant: false, ownCharge: false, pool: null });

/**
 * Spare records of one op kind for operations without a signal: a record is
 * taken for one operation and given back once it settled, so a descriptor
 * keeps no record between operations (an idle connection holds only the one
 * its parked read uses), and a busy one allocates none. A record with a
 * signal is made fresh: an abort may leave it in the budget's queue.
 */
export class OpPool<O extends { bindPooled(fd: OpHost): O }> {
  private readonly spare: O[] = [];
  constructor(private readonly make: (fd: OpHost) => O, private readonly max = 64) {}
  take(fd: OpHost): O { return (this.spare.pop() ?? this.make(fd)).bindPooled(fd); }
  /** @internal */
  give(op: O): void { if (this.spare.length < this.max) this.spare.push(op); }
}
