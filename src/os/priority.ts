// Priority (exceptional) events: out-of-band data on a socket, a sysfs GPIO
// value or a kernfs file (/proc/self/mounts) that changed. The poller is
// never asked for them: a descriptor that wants them is added to a second,
// small poller of its own kind (an epoll set with EPOLLPRI on Linux, a kqueue
// with EVFILT_EXCEPT where the kernel has it), and that poller's descriptor
// sits on the main one as an ordinary readable descriptor. Descriptors that
// did not ask cost nothing, and the main poller's interest set is unchanged.
// The second poller exists while some descriptor is registered with it.
import { FD } from '../fd/fd.ts';
import { NetClosingError } from '../netpoll/errors.ts';
import type { Netpoll } from '../netpoll/netpoll.ts';
import { C, EPOLLERR, EPOLLET, EPOLLHUP, EPOLLPRI, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL } from '../sys/constants.ts';
import { EpollEventBuffer } from '../sys/epoll-layout.ts';
import { KeventBuffer } from '../sys/kevent-layout.ts';
import { close as closeRaw, epoll, kernelKqueue } from '../sys/libc.ts';
import { SyscallError } from '../sys/syscall-error.ts';

const BATCH = 64;

/** A priority wait on a file opened without `priority: true`. */
export class NoPriorityError extends Error {
  readonly code = 'ERR_NETPOLL_NO_PRIORITY';
  constructor() {
    super('priority events were not asked for: open the file with { priority: true }');
    this.name = 'NoPriorityError';
  }
}

/** The kernel's second poller: add, remove, harvest without waiting. */
interface Kernel {
  readonly fd: number;
  add(sysfd: number, token: number): number;
  remove(sysfd: number): number;
  /** Calls onEvent(token) for each pending event; returns how many. */
  harvest(onEvent: (token: number) => void): number;
}

function epollKernel(): Kernel {
  const sys = epoll!;
  const epfd = sys.epollCreate1(EPOLL_CLOEXEC);
  if (epfd < 0) throw new SyscallError('epoll_create1', -epfd);
  const ctl = new EpollEventBuffer(1);
  const events = new EpollEventBuffer(BATCH);
  return {
    fd: epfd,
    add(sysfd, token) {
      ctl.set(0, EPOLLPRI | EPOLLET, 0, token);
      return sys.epollCtl(epfd, EPOLL_CTL_ADD, sysfd, ctl.bytes);
    },
    remove(sysfd) { return sys.epollCtl(epfd, EPOLL_CTL_DEL, sysfd, ctl.bytes); },
    harvest(onEvent) {
      let n: number;
      do n = sys.epollWait(epfd, events.bytes, BATCH, 0); while (n === -C.EINTR);
      if (n < 0) throw new SyscallError('epoll_wait', -n);
      for (let i = 0; i < n; i++) {
        if ((events.events(i) & (EPOLLPRI | EPOLLERR | EPOLLHUP)) !== 0) onEvent(events.dataLow(i));
      }
      return n;
    },
  };
}

function kqueueKernel(): Kernel {
  const sys = kernelKqueue!;
  const kq = sys.kqueue();
  if (kq < 0) throw new SyscallError('kqueue', -kq);
  const change = new KeventBuffer(1);
  const events = new KeventBuffer(BATCH);
  const zero = new Uint8Array(16);
  return {
    fd: kq,
    add(sysfd, token) {
      change.set(0, sysfd, C.EVFILT_EXCEPT, C.EV_ADD | C.EV_CLEAR, C.NOTE_OOB, 0, token);
      return sys.kevent(kq, change.bytes, 1, null, 0, zero);
    },
    remove(sysfd) {
      change.set(0, sysfd, C.EVFILT_EXCEPT, C.EV_DELETE, 0, 0, 0);
      return sys.kevent(kq, change.bytes, 1, null, 0, zero);
    },
    harvest(onEvent) {
      let n: number;
      do n = sys.kevent(kq, null, 0, events.bytes, BATCH, zero); while (n === -C.EINTR);
      if (n < 0) throw new SyscallError('kevent', -n);
      for (let i = 0; i < n; i++) onEvent(events.udata(i));
      return n;
    },
  };
}

/** Can this OS deliver priority events at all. */
export const HAS_PRIORITY = epoll !== null || C.EVFILT_EXCEPT !== 0;

interface Waiter { resolve: () => void; reject: (e: unknown) => void; signal: AbortSignal | undefined; onAbort: (() => void) | null }

/** One descriptor's registration: what waitPriority() parks on. */
export class PriorityEntry {
  waiter: Waiter | null = null;
  /** An event came while nobody waited (Go's pdReady): the next wait returns at once. */
  pending = false;
  constructor(readonly sysfd: number, readonly token: number, readonly hub: PriorityHub) {}

  /** Resolves at the next priority event (or one that came since the last wait). */
  wait(signal?: AbortSignal): Promise<void> { return this.hub.wait(this, signal); }
  /** Leaves the second poller; a parked wait fails with the closed error. Before the descriptor is closed. */
  remove(): void { this.hub.remove(this); }
}

const hubs = new WeakMap<Netpoll, PriorityHub>();

export class PriorityHub {
  private readonly kernel: Kernel;
  private readonly fd: FD;
  private readonly entries = new Map<number, PriorityEntry>();
  private nextToken = 1;
  private waiting = 0;
  private pumping = false;
  private pumpAbort: AbortController | null = null;

  private constructor(private readonly np: Netpoll) {
    if (!HAS_PRIORITY) throw new Error('netpoll: this kernel has no priority (EVFILT_EXCEPT) events');
    this.kernel = epoll !== null ? epollKernel() : kqueueKernel();
    try {
      this.fd = new FD(this.kernel.fd, { netpoll: np });
    } catch (e) {
      closeRaw(this.kernel.fd);
      throw e;
    }
  }

  /**
   * Registers sysfd for priority events with np's second poller (made on
   * first use). Throws the kernel's error for a descriptor it cannot watch
   * (EPERM: a regular file on a disk filesystem).
   */
  static add(np: Netpoll, sysfd: number): PriorityEntry {
    let hub = hubs.get(np);
    if (hub === undefined) hubs.set(np, hub = new PriorityHub(np));
    try {
      return hub.register(sysfd);
    } catch (e) {
      hub.closeIfIdle();
      throw e;
    }
  }

  private register(sysfd: number): PriorityEntry {
    const token = this.nextToken;
    this.nextToken = (token % 0xffffffff) + 1; // 1 .. 2^32-1: the token fits epoll's low data word
    const r = this.kernel.add(sysfd, token);
    if (r < 0) throw new SyscallError(epoll !== null ? 'epoll_ctl' : 'kevent', -r);
    const entry = new PriorityEntry(sysfd, token, this);
    this.entries.set(token, entry);
    return entry;
  }

  remove(entry: PriorityEntry): void {
    if (this.entries.get(entry.token) !== entry) return;
    this.entries.delete(entry.token);
    this.kernel.remove(entry.sysfd); // EBADF/ENOENT: the kernel already forgot it
    const w = entry.waiter;
    if (w !== null) this.settle(entry, new NetClosingError('use of closed file'));
    this.closeIfIdle();
  }

  wait(entry: PriorityEntry, signal: AbortSignal | undefined): Promise<void> {
    if (this.entries.get(entry.token) !== entry) return Promise.reject(new NetClosingError('use of closed file'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (entry.waiter !== null) return Promise.reject(new Error('netpoll: a task already waits for priority events on this file'));
    if (entry.pending) { entry.pending = false; return Promise.resolve(); }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal, onAbort: null };
      if (signal !== undefined) {
        w.onAbort = () => this.settle(entry, signal.reason);
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      entry.waiter = w;
      this.waiting++;
      if (!this.pumping) void this.pump();
    });
  }

  /** Settles entry's waiter: resolved with no error, else rejected with it. */
  private settle(entry: PriorityEntry, err: unknown): void {
    const w = entry.waiter;
    if (w === null) return;
    entry.waiter = null;
    if (w.onAbort !== null) w.signal!.removeEventListener('abort', w.onAbort);
    if (--this.waiting === 0) this.pumpAbort?.abort();
    if (err === null) w.resolve(); else w.reject(err);
  }

  /** While anyone waits: wait for the second poller to be readable, then hand out what it holds. */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.waiting > 0) {
        const ac = this.pumpAbort = new AbortController();
        try {
          await this.fd.waitRead(ac.signal);
        } catch (e) {
          if (ac.signal.aborted) continue;
          for (const entry of this.entries.values()) this.settle(entry, e);
          return;
        }
        this.harvest();
      }
    } finally {
      this.pumping = false;
      this.pumpAbort = null;
    }
  }

  private harvest(): void {
    while (this.kernel.harvest(this.onEvent) === BATCH);
  }

  private readonly onEvent = (token: number): void => {
    const entry = this.entries.get(token);
    if (entry === undefined) return;
    if (entry.waiter !== null) this.settle(entry, null);
    else entry.pending = true;
  };

  /** The last registration left: close the second poller. */
  closeIfIdle(): void {
    if (this.entries.size !== 0) return;
    if (hubs.get(this.np) === this) hubs.delete(this.np);
    this.pumpAbort?.abort();
    void this.fd.close().catch(() => { /* the Netpoll was shut down first */ });
  }
}
