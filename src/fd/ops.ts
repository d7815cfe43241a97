// A read or write in flight once it left the synchronous path: its
// arguments, its promise's resolvers and its abort listener. It is the
// Parker on the PollDesc and the Deferred in the budget's queue; the FD
// keeps one of each for operations without a signal and reuses it.
import type { Deferred } from '../netpoll/budget.ts';
import type { Parker, PollDesc } from '../netpoll/index.ts';

/** What the ops call back on their FD. */
export interface OpHost {
  readAgain(op: ReadOp, afterWait: boolean): void;
  readFailed(op: ReadOp, e: unknown): void;
  unparkRead(op: ReadOp): boolean;
  writeAgain(op: WriteOp, afterWait: boolean): void;
  writeFailed(op: WriteOp, e: unknown): void;
  unparkWrite(op: WriteOp): boolean;
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

// The callbacks run inside the poller's drain or the budget's turn: a throw
// there (a bug, or a buffer the FFI refuses) fails this op, never the drain.
abstract class Op<T> implements Parker, Deferred {
  buf: Uint8Array | null = null;
  offset = 0;
  length = 0;
  signal: AbortSignal | undefined = undefined;
  private resolve: (v: T) => void = NOOP;
  private reject: (e: unknown) => void = NOOP;
  private watching = false;
  /** Failed by an abort while queued for the budget: the queue entry is skipped. */
  private abandoned = false;
  constructor(protected readonly fd: OpHost) {}

  /** The pending promise this op settles. */
  promise(): Promise<T> {
    const p = new Promise<T>(capture);
    this.resolve = capturedResolve as (v: T) => void;
    this.reject = capturedReject;
    return p;
  }

  /** The last try gave EAGAIN: park on pd, or try again at once if readiness came meanwhile. */
  parkOn(pd: PollDesc): void {
    let ready: boolean;
    try {
      ready = pd.park(this.mode, this);
    } catch (e) {
      this.failed(e);
      return;
    }
    if (ready) this.retry(true);
    else this.watch();
  }

  /** Listens for the signal's abort while parked or queued (an EventListener object: no closure). */
  watch(): void {
    if (this.signal !== undefined && !this.watching) {
      this.watching = true;
      this.signal.addEventListener('abort', this, { once: true });
    }
  }

  /** Not settled yet. */
  get active(): boolean { return this.reject !== NOOP; }

  /** Clears the op for reuse; returns the resolver, to call after unlocking. */
  settle(): (v: T) => void {
    const r = this.resolve;
    this.clear();
    return r;
  }

  settleReject(): (e: unknown) => void {
    const r = this.reject;
    this.clear();
    return r;
  }

  private clear(): void {
    if (this.watching) { this.signal!.removeEventListener('abort', this); this.watching = false; }
    this.signal = undefined;
    this.buf = null;
    this.resolve = NOOP;
    this.reject = NOOP;
  }

  runDeferred(): void { if (!this.abandoned) this.retry(false); }
  pdReady(): void { this.retry(true); }
  pdFail(_mode: 'r' | 'w', err: Error): void { this.failed(err); }

  /** The signal aborted. Parked: taken back. Otherwise queued for the budget (a signalled op has a record of its own). */
  handleEvent(): void {
    const reason: unknown = this.signal!.reason;
    if (!this.unpark()) this.abandoned = true;
    this.failed(reason);
  }

  private retry(afterWait: boolean): void {
    try {
      this.again(afterWait);
    } catch (e) {
      if (this.active) this.failed(e);
    }
  }

  protected abstract readonly mode: 'r' | 'w';
  protected abstract again(afterWait: boolean): void;
  protected abstract failed(e: unknown): void;
  protected abstract unpark(): boolean;
}

export class ReadOp extends Op<number | Uint8Array | null> {
  /** readChunk(): the bytes go through the scratch buffer into a chunk of their own. */
  chunk = false;
  protected readonly mode = 'r';
  protected again(afterWait: boolean): void { this.fd.readAgain(this, afterWait); }
  protected failed(e: unknown): void { this.fd.readFailed(this, e); }
  protected unpark(): boolean { return this.fd.unparkRead(this); }
}

export class WriteOp extends Op<number> {
  /** Bytes written so far. */
  nn = 0;
  protected readonly mode = 'w';
  protected again(afterWait: boolean): void { this.fd.writeAgain(this, afterWait); }
  protected failed(e: unknown): void { this.fd.writeFailed(this, e); }
  protected unpark(): boolean { return this.fd.unparkWrite(this); }
}
