// The generic layer (Go's runtime/netpoll.go) for one thread: its poller,
// the table of poll descriptors, the deadline timers and the driver.
import { isMainThread } from 'node:worker_threads';
import { createPoller, type PollerOptions } from '../poller/index.ts';
import { PollerShutdownError } from '../poller/errors.ts';
import type { Backend, Mode, Poller } from '../poller/types.ts';
import { checkFd } from '../sys/bounds.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { DeadlineTimers } from './deadline-timers.ts';
import { NotPollableError } from './errors.ts';
import { LoopDriver, type Driver } from './loop-driver.ts';
import { WorkerDriver } from './worker-driver.ts';
import { PollCache, tokenOf } from './poll-cache.ts';
import { PollDesc, type PollDescHost } from './poll-desc.ts';
import { debug } from './debug.ts';
import { counters } from './stats.ts';
import { optionsBag } from '../sys/args.ts';

export interface NetpollOptions extends PollerOptions {
  /**
   * 'loop' (default): Node's libuv loop watches the poller. 'worker': a
   * dedicated thread blocks on it and hands readiness over.
   */
  driver?: 'loop' | 'worker';
}

let current: Netpoll | null = null;

/**
 * The Netpolls of this thread not yet shut down. In a worker thread they
 * shut down when the thread ends ('exit' on the worker's process object:
 * its loop ran dry, or process.exit()): the epoll or kqueue and its wake-up
 * eventfd or pipe are process-wide descriptors, and would otherwise outlive
 * the thread that owned them. The main thread's end is the process's.
 */
const live = new Set<Netpoll>();
let exitHooked = false;

function track(np: Netpoll): void {
  live.add(np);
  if (!exitHooked && !isMainThread) {
    exitHooked = true;
    process.once('exit', () => { for (const p of [...live]) p.shutdown(); });
  }
}

export class Netpoll implements PollDescHost {
  /** This thread's Netpoll, driven by Node's loop; created on first use. */
  static current(): Netpoll {
    if (!current || current.isShutdown) current = new Netpoll();
    return current;
  }

  /**
   * The Netpoll an options bag names, or this thread's when it names none.
   *
   * @example const np = Netpoll.of(opts.netpoll);
   */
  static of(np: unknown): Netpoll {
    if (np === undefined || np === null) return Netpoll.current();
    if (!(np instanceof Netpoll)) throw new TypeError('netpoll: the netpoll option must be a Netpoll');
    return np;
  }

  readonly poller: Poller;
  readonly timers = new DeadlineTimers();
  private readonly cache = new PollCache();
  private readonly driver: Driver;
  private waiting = 0;
  private isShutdown = false;

  constructor(options?: NetpollOptions) {
    const opts = optionsBag(options, 'Netpoll');
    this.poller = createPoller(opts);
    try {
      const driver = opts.driver ?? 'loop';
      if (driver !== 'loop' && driver !== 'worker') throw new RangeError(`netpoll: driver must be 'loop' or 'worker', got ${JSON.stringify(driver)}`);
      this.driver = driver === 'loop'
        ? new LoopDriver(this.poller, this.deliver, this.onDriverError)
        : new WorkerDriver(this.poller, this.deliver, this.onDriverError);
    } catch (e) {
      this.poller.shutdown();
      throw e;
    }
    track(this);
    debug('netpoll: %s poller on fd %d', this.poller.backend, this.poller.fd);
  }

  get backend(): Backend { return this.poller.backend; }
  get closed(): boolean { return this.isShutdown; }
  /** netpollWaiters: tasks parked in wait(). */
  get waiters(): number { return this.waiting; }
  /** Open poll descriptors. */
  get size(): number { return this.cache.size; }

  /** poll_runtime_pollOpen: registers fd, edge-triggered, for its whole life. */
  open(fd: number): PollDesc {
    if (this.isShutdown) throw new PollerShutdownError('open');
    checkFd(fd);
    // Closing a poller's own epoll/kqueue or wake-up descriptor through an FD
    // would silently stop every Netpoll that uses it (Go keeps its poller's
    // descriptors out of reach: poll.IsPollDescriptor).
    for (const np of live) {
      if (np.poller.isPollDescriptor(fd)) throw new RangeError(`netpoll: fd ${fd} belongs to a Netpoll's own ${np.poller.backend} poller and cannot be registered`);
    }
    const { slot, seq } = this.cache.alloc();
    const pd = new PollDesc(this, fd, slot, seq);
    try {
      this.poller.open(fd, tokenOf(slot, seq));
    } catch (e) {
      this.cache.release(slot);
      // EPERM: a regular file or directory; epoll refuses it (Go keeps such a file blocking).
      if (e instanceof SyscallError && e.code === 'EPERM') {
        throw new NotPollableError(`not pollable: fd ${fd} cannot be watched by ${this.poller.backend}`, { cause: e });
      }
      throw e;
    }
    this.cache.set(pd);
    return pd;
  }

  /**
   * poll_runtime_pollClose: disarms the fd (before the caller closes it) and
   * frees the slot. Unblocks first if the caller has not.
   */
  close(pd: PollDesc): void {
    if (!(pd instanceof PollDesc)) throw new TypeError('netpoll: close() takes a PollDesc from open()');
    if (this.cache.lookup(tokenOf(pd.slot, pd.fdseq)) !== pd) {
      throw new RangeError(`netpoll: this PollDesc (fd ${pd.fd}) is not open on this Netpoll`);
    }
    pd.unblock();
    this.cache.delete(pd);
    if (this.isShutdown) return;
    try {
      this.poller.close(pd.fd);
    } catch (e) {
      // The fd was closed before its pd: the kernel already dropped it.
      if (!(e instanceof SyscallError && (e.code === 'EBADF' || e.code === 'ENOENT'))) throw e;
    }
  }

  /**
   * Every waiter fails with the closing error; the poller's descriptors are
   * closed. A worker thread's Netpolls shut down by themselves when it ends.
   *
   * @example const np = new Netpoll({ backend: 'kqueue' }); np.shutdown();
   */
  shutdown(): void {
    if (this.isShutdown) return;
    this.isShutdown = true;
    live.delete(this);
    for (const pd of this.cache.all()) pd.unblock();
    this.timers.clear();
    this.driver.close();
    this.poller.shutdown();
    if (current === this) current = null;
  }

  /** Wakes the driver from this thread (Go's netpollBreak). */
  wake(): void { counters.wakeups++; this.poller.wake(); }

  addWaiters(delta: 1 | -1): void {
    this.waiting += delta;
    if (delta > 0 ? this.waiting === 1 : this.waiting === 0) {
      if (delta > 0) this.driver.ref(); else this.driver.unref();
    }
  }

  /** netpollready for one harvested event; a stale token (closed, slot reused) reaches nobody. */
  readonly deliver = (token: number, mode: Mode, eventErr: boolean, readEnd = true): void => {
    const pd = this.cache.lookup(token);
    if (pd === undefined) counters.staleEvents++; else pd.ready(mode, eventErr, readEnd);
  };

  private readonly onDriverError = (e: unknown): void => {
    debug('netpoll: driver failed: %o', e);
    // A poller that cannot poll can wake nobody again: fail every waiter.
    this.shutdown();
    process.emitWarning(`netpoll: the poller failed and was shut down: ${String(e)}`, 'NetpollWarning');
  };
}
