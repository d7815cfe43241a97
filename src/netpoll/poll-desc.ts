// Go's pollDesc (runtime/netpoll.go): the per-descriptor state that parks
// and wakes tasks. rg/wg are Go's binary semaphores: nil, ready, or a parked
// task. A parked task is a Parker, two callbacks the PollDesc calls
// synchronously (gopark/goready without a promise in between); the commit
// CAS becomes a synchronous error check before storing it (one thread, no
// races inside). wait() is the promise-shaped form of the same thing.
//
// An idle descriptor costs little: the state bits share one number, and the
// deadline fields live in a side object made on the first setDeadline.
import type { Mode } from '../poller/types.ts';
import { SHORT_READS_INJECTED } from '../sys/faults.ts';
import { EXPIRED, NO_DEADLINE, now, toMonotonic, type DeadlineInput } from './deadline.ts';
import type { DeadlineTimer, DeadlineTimers } from './deadline-timers.ts';
import { DeadlineExceededError, DoubleWaitError, NetClosingError, NotPollableError } from './errors.ts';
import { deadlineFired } from './channels.ts';
import { counters } from './stats.ts';

/** What a PollDesc needs from its Netpoll. */
export interface PollDescHost {
  readonly timers: DeadlineTimers;
  /** netpollWaiters += delta: the driver keeps the loop alive while > 0. */
  addWaiters(delta: 1 | -1): void;
  /** Forgets pd (Go's poll_runtime_pollClose); throws when it is not open there. */
  close(pd: PollDesc): void;
}

/**
 * A task parked on a PollDesc (Go's goroutine in rg or wg); one object may
 * park on both modes. For each park the PollDesc forgets the parker, then
 * calls exactly one of these, once, synchronously from the driver's drain,
 * a deadline timer or a close. Neither may throw: the caller is the
 * poller's drain loop.
 */
export interface Parker {
  /** The descriptor became ready for mode (the readiness is consumed). */
  pdReady(mode: 'r' | 'w'): void;
  /** The wait for mode failed: closing, an expired deadline, or a kernel error on the descriptor. */
  pdFail(mode: 'r' | 'w', err: Error): void;
}

// Bits of PollDesc.st. *_EXPIRED mirror rd/wd < 0 so the hot checks read one number.
// R_END: an event said the read side may hold bytes a short read left (sticky).
const R_READY = 1, W_READY = 2, CLOSING = 4, EVENT_ERR = 8, R_EXPIRED = 16, W_EXPIRED = 32, UNREF = 64, R_END = 128;
const R_ERR = CLOSING | EVENT_ERR | R_EXPIRED, W_ERR = CLOSING | W_EXPIRED;

/** Deadline timer entry; `read`/`write` say which deadlines a firing expires. */
class PdTimer implements DeadlineTimer {
  when = 0; seq = 0; index = -1;
  read = false; write = false;
  constructor(private readonly pd: PollDesc) {}
  fire(seq: number): void { this.pd.deadlineFired(seq, this.read, this.write); }
}

/** Go's rd/wd, rseq/wseq, rrun/wrun and rt/wt: made on the first setDeadline. */
class Deadlines {
  /** Monotonic ms; 0 none, -1 expired. */
  rd = NO_DEADLINE;
  wd = NO_DEADLINE;
  rseq = 0;
  wseq = 0;
  rrun = false;
  wrun = false;
  rt: PdTimer | null = null;
  wt: PdTimer | null = null;
}

export class PollDesc {
  /** The descriptor; constant while the pd is open. */
  readonly fd: number;
  /** Slot in the Netpoll's table and its generation: together, the kernel token. */
  readonly slot: number;
  readonly fdseq: number;
  private readonly host: PollDescHost;
  private st = 0;
  /** Go's rg/wg when they hold a parked task; their pdReady state is the R_READY/W_READY bit of st. */
  private rg: Parker | null = null;
  private wg: Parker | null = null;
  private dl: Deadlines | null = null;

  constructor(host: PollDescHost, fd: number, slot: number, fdseq: number) {
    this.host = host;
    this.fd = fd;
    this.slot = slot;
    this.fdseq = fdseq;
  }

  get isClosing(): boolean { return (this.st & CLOSING) !== 0; }

  /** @internal Closes this pd in the Netpoll that opened it (so an FD need not keep that Netpoll too). */
  closeInHost(): void { this.host.close(this); }

  /**
   * netpollcheckerr: the pending error for mode (closing, an expired
   * deadline, a kernel error on the descriptor), or null. Reads no state
   * it changes.
   */
  checkErr(mode: 'r' | 'w'): Error | null {
    const st = this.st;
    if ((st & (mode === 'r' ? R_ERR : W_ERR)) === 0) return null;
    if ((st & CLOSING) !== 0) return new NetClosingError();
    if ((st & (mode === 'r' ? R_EXPIRED : W_EXPIRED)) !== 0) return new DeadlineExceededError();
    return new NotPollableError('not pollable: the kernel reported an error on this descriptor');
  }

  /**
   * pollReset (Go's pollDesc.prepare): the pending error for mode, or null
   * after forgetting stale readiness (an edge from before the system call
   * the caller is about to make: that call itself tells). Every operation
   * calls it once before its first system call.
   *
   * @example
   * const e = pd.prepare('r');
   * if (e !== null) return fail(e);          // closed, timed out, not pollable
   * if (read(fd, buf, len) === -EAGAIN) pd.park('r', op);
   */
  prepare(mode: 'r' | 'w'): Error | null {
    const e = this.checkErr(mode);
    if (e === null) this.st &= mode === 'r' ? ~R_READY : ~W_READY;
    return e;
  }

  /**
   * prepare() for one or both modes, throwing the pending error: the public
   * convenience for callers that use exceptions.
   *
   * @example
   * pd.reset('r');                 // throws NetClosingError / DeadlineExceededError
   * const n = read(fd, buf, len);  // then the system call itself says EAGAIN or not
   */
  reset(mode: Mode): void {
    if (mode !== 'r' && mode !== 'w') {
      checkMode(mode);
      this.reset('r');
      this.reset('w');
      return;
    }
    const e = this.prepare(mode);
    if (e !== null) throw e;
  }

  /**
   * pollWait without a promise: parks p until the descriptor is ready for
   * mode. Returns true, without parking, when readiness is already there
   * (it is consumed: retry the system call now). Throws the pending error
   * (closing, timeout, not pollable), or DoubleWaitError when another task
   * is parked on that mode.
   */
  park(mode: 'r' | 'w', p: Parker): boolean {
    if (typeof p?.pdReady !== 'function') throw new TypeError('netpoll: park() takes a Parker (pdReady and pdFail)');
    const read = mode === 'r';
    if ((this.st & (read ? R_ERR : W_ERR)) !== 0) throw this.checkErr(mode)!;
    const ready = read ? R_READY : W_READY;
    if ((this.st & ready) !== 0) { this.st &= ~ready; return true; }
    if ((read ? this.rg : this.wg) !== null) throw new DoubleWaitError(mode);
    if (read) { this.rg = p; counters.readsParked++; } else { this.wg = p; counters.writesParked++; }
    if ((this.st & UNREF) === 0) this.host.addWaiters(1);
    return false;
  }

  /**
   * Whether a task parked here keeps the process alive (default true): an
   * unref'd descriptor's waiters are not netpollWaiters, like an unref'd
   * Node socket. Switching while a task is parked moves it in or out.
   */
  setRef(on: boolean): void {
    if (((this.st & UNREF) === 0) === on) return;
    this.st ^= UNREF;
    const parked = (this.rg !== null ? 1 : 0) + (this.wg !== null ? 1 : 0);
    for (let i = 0; i < parked; i++) this.host.addWaiters(on ? 1 : -1);
  }

  get hasRef(): boolean { return (this.st & UNREF) === 0; }

  /** Takes p back (an abort): true when it was the one parked on mode. */
  unpark(mode: 'r' | 'w', p: Parker): boolean {
    if ((mode === 'r' ? this.rg : this.wg) !== p) return false;
    this.take(mode);
    return true;
  }

  /**
   * pollWait: resolves when the descriptor is ready for mode (consuming the
   * readiness), rejects with the closing, timeout or not-pollable error.
   */
  wait(mode: Mode, signal?: AbortSignal): Promise<void> {
    if (mode !== 'r' && mode !== 'w') {
      return Promise.reject(mode === 'rw' ? new RangeError("netpoll: wait takes 'r' or 'w', one direction at a time") : badMode(mode));
    }
    let w: PromiseParker;
    const p = new Promise<void>((resolve, reject) => { w = new PromiseParker(this, mode, resolve, reject); });
    try {
      if (this.park(mode, w!)) return RESOLVED;
    } catch (e) {
      return Promise.reject(e);
    }
    if (signal !== undefined) {
      if (signal.aborted) { this.unpark(mode, w!); return Promise.reject(signal.reason); }
      w!.watch(signal);
    }
    return p;
  }

  /** Clears mode's slot (netpollWaiters - 1) and returns what was parked there. */
  private take(mode: 'r' | 'w'): Parker | null {
    const p = mode === 'r' ? this.rg : this.wg;
    if (p !== null) {
      if (mode === 'r') { this.rg = null; counters.readsParked--; } else { this.wg = null; counters.writesParked--; }
      if ((this.st & UNREF) === 0) this.host.addWaiters(-1);
    }
    return p;
  }

  /**
   * netpollunblock: with ioready, readiness is handed to the parked task or
   * remembered (pdReady); without it, a parked task is failed only if an
   * error is now pending, and otherwise stays parked (Go's re-park loop).
   */
  private unblockMode(mode: 'r' | 'w', ioready: boolean): void {
    if (ioready) {
      const p = this.take(mode);
      if (p !== null) p.pdReady(mode);
      else this.st |= mode === 'r' ? R_READY : W_READY;
      return;
    }
    if ((mode === 'r' ? this.rg : this.wg) === null) return;
    const err = this.checkErr(mode);
    if (err !== null) this.take(mode)!.pdFail(mode, err);
  }

  /**
   * True when nothing was heard for reading since the last prepare('r'): no
   * readiness, no error, and no event ever said the peer closed or urgent
   * data waits. A stream socket whose last read came back short then holds
   * nothing new (bytes that arrive later make a new edge), so the next read
   * may park without asking the kernel: one system call less per message.
   */
  readQuiet(): boolean {
    // Injected short reads (NETPOLL_FAULTS short=) leave bytes behind with no new edge.
    return (this.st & (R_READY | R_END | R_ERR)) === 0 && !SHORT_READS_INJECTED;
  }

  /** netpollready, called by the driver for each event of this pd's generation; readEnd: see ReadyCallback. */
  ready(mode: Mode, eventErr: boolean, readEnd = true): void {
    // Go's setEventErr: set by a pure error event, cleared by any other.
    this.st = eventErr ? this.st | EVENT_ERR : this.st & ~EVENT_ERR;
    if (readEnd) this.st |= R_END;
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
    if ((this.st & CLOSING) !== 0) throw new NetClosingError();
    let dl = this.dl;
    if (dl === null) {
      if (d === NO_DEADLINE) return; // nothing armed, nothing to clear
      dl = this.dl = new Deadlines();
    }
    const rd0 = dl.rd, wd0 = dl.wd;
    const combo0 = rd0 > 0 && rd0 === wd0;
    if (mode !== 'w') dl.rd = d;
    if (mode !== 'r') dl.wd = d;
    const combo = dl.rd > 0 && dl.rd === dl.wd;
    this.st = (this.st & ~(R_EXPIRED | W_EXPIRED)) | (dl.rd < 0 ? R_EXPIRED : 0) | (dl.wd < 0 ? W_EXPIRED : 0);
    const timers = this.host.timers;

    // A deadline moved later while its own timer is armed (a deadline set
    // before every read): the timer stays where it is, fires early and moves
    // on (deadlineFired). No heap work per read.
    const split = !combo && !combo0;
    if (!dl.rrun) {
      if (dl.rd > 0) { this.armRead(dl, combo); dl.rrun = true; }
    } else if (split && rd0 > 0 && dl.rd > rd0 && dl.rt!.index >= 0) {
      // lazily extended
    } else if (dl.rd !== rd0 || combo !== combo0) {
      dl.rseq++;
      if (dl.rd > 0) this.armRead(dl, combo);
      else { timers.stop(dl.rt!); dl.rrun = false; }
    }
    if (!dl.wrun) {
      if (dl.wd > 0 && !combo) { this.armWrite(dl); dl.wrun = true; }
    } else if (split && wd0 > 0 && dl.wd > wd0 && dl.wt!.index >= 0) {
      // lazily extended
    } else if (dl.wd !== wd0 || combo !== combo0) {
      dl.wseq++;
      if (dl.wd > 0 && !combo) this.armWrite(dl);
      else { timers.stop(dl.wt!); dl.wrun = false; }
    }
    if (dl.rd < 0) this.unblockMode('r', false);
    if (dl.wd < 0) this.unblockMode('w', false);
  }

  private armRead(dl: Deadlines, combo: boolean): void {
    const t = dl.rt ??= new PdTimer(this);
    t.read = true;
    t.write = combo;
    this.host.timers.reset(t, dl.rd, dl.rseq);
  }

  private armWrite(dl: Deadlines): void {
    const t = dl.wt ??= new PdTimer(this);
    t.read = false;
    t.write = true;
    this.host.timers.reset(t, dl.wd, dl.wseq);
  }

  /** netpolldeadlineimpl: a timer fired; ignored if its seq is stale, moved on if its deadline was extended. */
  deadlineFired(seq: number, read: boolean, write: boolean): void {
    const dl = this.dl;
    if (dl === null || seq !== (read ? dl.rseq : dl.wseq)) return;
    if (read !== write) {
      const d = read ? dl.rd : dl.wd;
      if (d > now()) { this.host.timers.reset((read ? dl.rt : dl.wt)!, d, seq); return; }
    }
    counters.deadlinesFired++;
    if (deadlineFired.hasSubscribers) deadlineFired.publish({ fd: this.fd, read, write });
    if (read) { dl.rd = EXPIRED; this.st |= R_EXPIRED; this.unblockMode('r', false); }
    if (write) { dl.wd = EXPIRED; this.st |= W_EXPIRED; this.unblockMode('w', false); }
  }

  /** pollUnblock (Close): every waiter fails with the closing error; timers stop. */
  unblock(): void {
    if ((this.st & CLOSING) !== 0) return;
    this.st |= CLOSING;
    const dl = this.dl;
    if (dl !== null) {
      dl.rseq++;
      dl.wseq++;
      if (dl.rt) this.host.timers.stop(dl.rt);
      if (dl.wt) this.host.timers.stop(dl.wt);
      dl.rrun = dl.wrun = false;
    }
    this.unblockMode('r', false);
    this.unblockMode('w', false);
  }

  /** Read-only view for tests and diagnostics. */
  get state(): { rg: 'nil' | 'ready' | 'wait'; wg: 'nil' | 'ready' | 'wait'; closing: boolean; eventErr: boolean; rd: number; wd: number } {
    const g = (ready: number, p: Parker | null) => (p ? 'wait' : (this.st & ready) !== 0 ? 'ready' : 'nil') as 'nil' | 'ready' | 'wait';
    return {
      rg: g(R_READY, this.rg), wg: g(W_READY, this.wg),
      closing: (this.st & CLOSING) !== 0, eventErr: (this.st & EVENT_ERR) !== 0,
      rd: this.dl?.rd ?? NO_DEADLINE, wd: this.dl?.wd ?? NO_DEADLINE,
    };
  }
}

/** The parker behind wait(): settles a promise, and takes itself back on abort. */
class PromiseParker implements Parker {
  private signal: AbortSignal | undefined = undefined;
  constructor(private readonly pd: PollDesc, private readonly mode: 'r' | 'w',
              private readonly resolve: () => void, private readonly reject: (e: unknown) => void) {}

  watch(signal: AbortSignal): void {
    this.signal = signal;
    signal.addEventListener('abort', this, { once: true });
  }

  /** The abort listener (an EventListener object: no closure per wait). */
  handleEvent(): void {
    const signal = this.signal!;
    this.signal = undefined;
    if (this.pd.unpark(this.mode, this)) this.reject(signal.reason);
  }

  pdReady(): void { this.unwatch(); this.resolve(); }
  pdFail(_mode: 'r' | 'w', err: Error): void { this.unwatch(); this.reject(err); }

  private unwatch(): void {
    if (this.signal !== undefined) { this.signal.removeEventListener('abort', this); this.signal = undefined; }
  }
}

const RESOLVED: Promise<void> = Promise.resolve();

function badMode(mode: unknown): RangeError {
  return new RangeError(`netpoll: mode must be 'r', 'w' or 'rw', got ${JSON.stringify(mode)}`);
}
function checkMode(mode: Mode): void {
  if (mode !== 'r' && mode !== 'w' && mode !== 'rw') throw badMode(mode);
}
