// Go's pollDesc (runtime/netpoll.go): the per-descriptor state that parks
// and wakes tasks. rg/wg are Go's binary semaphores: nil, ready, or a parked
// waiter; gopark becomes a stored resolver, and the commit CAS becomes a
// synchronous error check before storing it (one thread, no races inside).
import type { Mode } from '../poller/types.ts';
import { EXPIRED, NO_DEADLINE, toMonotonic, type DeadlineInput } from './deadline.ts';
import type { DeadlineTimer, DeadlineTimers } from './deadline-timers.ts';
import { DeadlineExceededError, DoubleWaitError, NetClosingError, NotPollableError } from './errors.ts';

const PD_NIL = 0, PD_READY = 1;

/** What a PollDesc needs from its Netpoll. */
export interface PollDescHost {
  readonly timers: DeadlineTimers;
  /** netpollWaiters += delta: the driver keeps the loop alive while > 0. */
  addWaiters(delta: 1 | -1): void;
}

type Resolve = () => void;
type Reject = (e: unknown) => void;

class Waiter {
  constructor(readonly resolve: Resolve, readonly reject: Reject, readonly signal: AbortSignal | undefined,
              readonly onAbort: (() => void) | undefined) {}
  done(): void { if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort); }
}

/** Deadline timer entry; `read`/`write` say which deadlines a firing expires. */
class PdTimer implements DeadlineTimer {
  when = 0; seq = 0; index = -1;
  read = false; write = false;
  constructor(private readonly pd: PollDesc) {}
  fire(seq: number): void { this.pd.deadlineFired(seq, this.read, this.write); }
}

export class PollDesc {
  /** The descriptor; constant while the pd is open. */
  readonly fd: number;
  /** Slot in the Netpoll's table and its generation: together, the kernel token. */
  readonly slot: number;
  readonly fdseq: number;

  private rg = PD_NIL;
  private wg = PD_NIL;
  private rw: Waiter | null = null;
  private ww: Waiter | null = null;
  private closing = false;
  private eventErr = false;
  /** Monotonic ms; 0 none, -1 expired. */
  private rd = NO_DEADLINE;
  private wd = NO_DEADLINE;
  private rseq = 0;
  private wseq = 0;
  private rrun = false;
  private wrun = false;
  private rt: PdTimer | null = null;
  private wt: PdTimer | null = null;

  constructor(private readonly host: PollDescHost, fd: number, slot: number, fdseq: number) {
    this.fd = fd;
    this.slot = slot;
    this.fdseq = fdseq;
  }

  get isClosing(): boolean { return this.closing; }

  /** netpollcheckerr: the pending error for mode, or null. */
  checkErr(mode: 'r' | 'w'): Error | null {
    if (this.closing) return new NetClosingError();
    if ((mode === 'r' && this.rd < 0) || (mode === 'w' && this.wd < 0)) return new DeadlineExceededError();
    if (mode === 'r' && this.eventErr) return new NotPollableError('not pollable: the kernel reported an error on this descriptor');
    return null;
  }

  /** True when the next wait(mode) would fail at once: lets callers skip a doomed syscall. */
  hasErr(mode: 'r' | 'w'): boolean {
    return this.closing || (mode === 'r' ? this.rd < 0 || this.eventErr : this.wd < 0);
  }

  /** pollReset: throws the pending error; forgets stale readiness. */
  reset(mode: Mode): void {
    checkMode(mode);
    if (mode !== 'w') { const e = this.checkErr('r'); if (e) throw e; this.rg = PD_NIL; }
    if (mode !== 'r') { const e = this.checkErr('w'); if (e) throw e; this.wg = PD_NIL; }
  }

  /**
   * pollWait: resolves when the descriptor is ready for mode (consuming the
   * readiness), rejects with the closing, timeout or not-pollable error.
   */
  wait(mode: Mode, signal?: AbortSignal): Promise<void> {
    if (mode !== 'r' && mode !== 'w') {
      return Promise.reject(mode === 'rw' ? new RangeError("netpoll: wait takes 'r' or 'w', one direction at a time") : badMode(mode));
    }
    const err = this.checkErr(mode);
    if (err) return Promise.reject(err);
    if (mode === 'r') {
      if (this.rg === PD_READY) { this.rg = PD_NIL; return RESOLVED; }
      if (this.rw) return Promise.reject(new DoubleWaitError(mode));
    } else {
      if (this.wg === PD_READY) { this.wg = PD_NIL; return RESOLVED; }
      if (this.ww) return Promise.reject(new DoubleWaitError(mode));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      if (signal) {
        onAbort = () => {
          if ((mode === 'r' ? this.rw : this.ww) !== waiter) return;
          this.take(mode);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      const waiter = new Waiter(resolve, reject, signal, onAbort);
      if (mode === 'r') this.rw = waiter; else this.ww = waiter;
      this.host.addWaiters(1);
    });
  }

  /** Clears mode's waiter slot and returns what was parked there. */
  private take(mode: 'r' | 'w'): Waiter | null {
    const w = mode === 'r' ? this.rw : this.ww;
    if (w) {
      if (mode === 'r') this.rw = null; else this.ww = null;
      this.host.addWaiters(-1);
      w.done();
    }
    return w;
  }

  /**
   * netpollunblock: with ioready, readiness is handed to the waiter or
   * remembered (pdReady); without it, a waiter is failed only if an error
   * is now pending, and otherwise stays parked (Go's re-park loop).
   */
  unblockMode(mode: 'r' | 'w', ioready: boolean): void {
    const parked = mode === 'r' ? this.rw : this.ww;
    if (ioready) {
      if (parked) { this.take(mode); parked.resolve(); }
      else if (mode === 'r') this.rg = PD_READY; else this.wg = PD_READY;
      return;
    }
    if (!parked) return;
    const err = this.checkErr(mode);
    if (err) { this.take(mode); parked.reject(err); }
  }

  /** netpollready, called by the driver for each event of this pd's generation. */
  ready(mode: Mode, eventErr: boolean): void {
    this.eventErr = eventErr; // Go's setEventErr: set by a pure error event, cleared by any other
    if (mode !== 'w') this.unblockMode('r', true);
    if (mode !== 'r') this.unblockMode('w', true);
  }

  /**
   * poll_runtime_pollSetDeadline. A past deadline expires at once and fails
   * the waiters of that mode; moving a deadline while a task waits takes
   * effect at once; rd == wd shares one timer.
   */
  setDeadline(deadline: DeadlineInput, mode: Mode): void {
    checkMode(mode);
    const d = toMonotonic(deadline);
    if (this.closing) throw new NetClosingError();
    const rd0 = this.rd, wd0 = this.wd;
    const combo0 = rd0 > 0 && rd0 === wd0;
    if (mode !== 'w') this.rd = d;
    if (mode !== 'r') this.wd = d;
    const combo = this.rd > 0 && this.rd === this.wd;
    const timers = this.host.timers;

    if (!this.rrun) {
      if (this.rd > 0) { this.armRead(combo); this.rrun = true; }
    } else if (this.rd !== rd0 || combo !== combo0) {
      this.rseq++;
      if (this.rd > 0) this.armRead(combo);
      else { timers.stop(this.rt!); this.rrun = false; }
    }
    if (!this.wrun) {
      if (this.wd > 0 && !combo) { this.armWrite(); this.wrun = true; }
    } else if (this.wd !== wd0 || combo !== combo0) {
      this.wseq++;
      if (this.wd > 0 && !combo) this.armWrite();
      else { timers.stop(this.wt!); this.wrun = false; }
    }
    if (this.rd < 0) this.unblockMode('r', false);
    if (this.wd < 0) this.unblockMode('w', false);
  }

  private armRead(combo: boolean): void {
    const t = this.rt ??= new PdTimer(this);
    t.read = true;
    t.write = combo;
    this.host.timers.reset(t, this.rd, this.rseq);
  }

  private armWrite(): void {
    const t = this.wt ??= new PdTimer(this);
    t.read = false;
    t.write = true;
    this.host.timers.reset(t, this.wd, this.wseq);
  }

  /** netpolldeadlineimpl: a timer fired; ignored if its seq is stale. */
  deadlineFired(seq: number, read: boolean, write: boolean): void {
    if (seq !== (read ? this.rseq : this.wseq)) return;
    if (read) { this.rd = EXPIRED; this.unblockMode('r', false); }
    if (write) { this.wd = EXPIRED; this.unblockMode('w', false); }
  }

  /** pollUnblock (Close): every waiter fails with the closing error; timers stop. */
  unblock(): void {
    if (this.closing) return;
    this.closing = true;
    this.rseq++;
    this.wseq++;
    if (this.rt) this.host.timers.stop(this.rt);
    if (this.wt) this.host.timers.stop(this.wt);
    this.rrun = this.wrun = false;
    this.unblockMode('r', false);
    this.unblockMode('w', false);
  }

  /** Read-only view for tests and diagnostics. */
  get state(): { rg: 'nil' | 'ready' | 'wait'; wg: 'nil' | 'ready' | 'wait'; closing: boolean; eventErr: boolean; rd: number; wd: number } {
    const s = (g: number, w: Waiter | null) => (w ? 'wait' : g === PD_READY ? 'ready' : 'nil') as 'nil' | 'ready' | 'wait';
    return { rg: s(this.rg, this.rw), wg: s(this.wg, this.ww), closing: this.closing, eventErr: this.eventErr, rd: this.rd, wd: this.wd };
  }
}

const RESOLVED: Promise<void> = Promise.resolve();

function badMode(mode: unknown): RangeError {
  return new RangeError(`netpoll: mode must be 'r', 'w' or 'rw', got ${JSON.stringify(mode)}`);
}
function checkMode(mode: Mode): void {
  if (mode !== 'r' && mode !== 'w' && mode !== 'rw') throw badMode(mode);
}
