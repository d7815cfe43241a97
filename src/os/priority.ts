// Priority (exceptional) events: out-of-band data on a socket, a sysfs GPIO
// value or a kernfs file (/proc/self/mounts) that changed. The project's
// poller is never asked for them: a descriptor that wants them gets a small
// poller of its own (an epoll set with EPOLLPRI on Linux, a kqueue with
// EVFILT_EXCEPT where the kernel has it) holding that one descriptor, and
// Node's loop watches that small poller's descriptor (uv_poll). Descriptors
// that did not ask cost nothing.
//
// Why not under the project's poller, and why one descriptor per small
// poller: kernfs files report a change to the first poll that looks (the
// look consumes it). With pollers nested, the outermost one's look is that
// first look; every poller below it then finds nothing. So the small poller
// sits right under libuv's, and its being readable IS the event: there is
// no need to ask it which member fired, only to empty it.
import koffi from 'koffi';
import { DoubleWaitError, NetClosingError } from '../netpoll/errors.ts';
import { C, EPOLLET, EPOLLPRI, EPOLL_CLOEXEC, EPOLL_CTL_ADD } from '../sys/constants.ts';
import { EpollEventBuffer } from '../sys/epoll-layout.ts';
import { KeventBuffer } from '../sys/kevent-layout.ts';
import { close as closeRaw, epoll, kernelKqueue } from '../sys/libc.ts';
import { SyscallError } from '../sys/syscall-error.ts';

const BATCH = 4;

/** A priority wait on a file opened without `priority: true`. */
export class NoPriorityError extends Error {
  readonly code = 'ERR_NETPOLL_NO_PRIORITY';
  constructor() {
    super('priority events were not asked for: open the file with { priority: true }');
    this.name = 'NoPriorityError';
  }
}

/** The small poller: add its one descriptor, empty its ready list without waiting. */
interface Kernel {
  readonly fd: number;
  add(sysfd: number): number;
  /** Empties the ready list; returns how many events it held. */
  harvest(): number;
}

function epollKernel(): Kernel {
  const sys = epoll!;
  const epfd = sys.epollCreate1(EPOLL_CLOEXEC);
  if (epfd < 0) throw new SyscallError('epoll_create1', -epfd);
  const ctl = new EpollEventBuffer(1);
  const events = new EpollEventBuffer(BATCH);
  return {
    fd: epfd,
    add(sysfd) {
      ctl.set(0, EPOLLPRI | EPOLLET, 0, 0);
      return sys.epollCtl(epfd, EPOLL_CTL_ADD, sysfd, ctl.bytes);
    },
    harvest() {
      let n: number;
      do n = sys.epollWait(epfd, events.bytes, BATCH, 0); while (n === -C.EINTR);
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
    add(sysfd) {
      change.set(0, sysfd, C.EVFILT_EXCEPT, C.EV_ADD | C.EV_CLEAR, C.NOTE_OOB, 0, 0);
      return sys.kevent(kq, change.bytes, 1, null, 0, zero);
    },
    harvest() {
      let n: number;
      do n = sys.kevent(kq, null, 0, events.bytes, BATCH, zero); while (n === -C.EINTR);
      return n;
    },
  };
}

/** Can this OS deliver priority events at all. */
export const HAS_PRIORITY = epoll !== null || C.EVFILT_EXCEPT !== 0;

interface Waiter { resolve: () => void; reject: (e: unknown) => void; signal: AbortSignal | undefined; onAbort: (() => void) | null }

/** One descriptor's registration for priority events. */
export class PriorityEntry {
  private readonly handle: ReturnType<typeof koffi.node.poll>;
  private waiter: Waiter | null = null;
  /** An event came while nobody waited (Go's pdReady): the next wait returns at once. */
  private pending = false;
  private removed = false;

  private constructor(private readonly kernel: Kernel) {
    // Kept reachable for the entry's life: koffi's finalizer closes a collected handle.
    this.handle = koffi.node.poll(kernel.fd, { readable: true }, this.onReadable as never);
    this.handle.unref();
  }

  /**
   * Registers sysfd for priority events on a small poller of its own,
   * watched by Node's loop. Throws the kernel's error for a descriptor it
   * cannot watch (EPERM: a regular file on a disk filesystem).
   */
  static add(sysfd: number): PriorityEntry {
    if (!HAS_PRIORITY) throw new Error('netpoll: this kernel has no priority (EVFILT_EXCEPT) events');
    const kernel = epoll !== null ? epollKernel() : kqueueKernel();
    try {
      const r = kernel.add(sysfd);
      if (r < 0) throw new SyscallError(epoll !== null ? 'epoll_ctl' : 'kevent', -r);
      return new PriorityEntry(kernel);
    } catch (e) {
      closeRaw(kernel.fd);
      throw e;
    }
  }

  // koffi's typings say cb(ev); it calls cb(status, ev).
  private readonly onReadable = (status: number): void => {
    if (this.removed) return;
    // Empty the small poller so the next event is a new edge; its being readable was the event.
    while (this.kernel.harvest() === BATCH);
    if (status < 0) { this.settle(new Error(`netpoll: libuv poll failed (status ${status})`)); return; }
    if (this.waiter !== null) this.settle(null);
    else this.pending = true;
  };

  /** Resolves at the next priority event, or at once for one that came since the last wait. One waiter at a time. */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.removed) return Promise.reject(new NetClosingError('use of closed file'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.waiter !== null) return Promise.reject(new DoubleWaitError('priority'));
    if (this.pending) { this.pending = false; return Promise.resolve(); }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal, onAbort: null };
      if (signal !== undefined) {
        w.onAbort = () => this.settle(signal.reason);
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiter = w;
      this.handle.ref(); // a waiter keeps the process alive, as a parked read does
    });
  }

  /** Settles the waiter: resolved for null, else rejected with err. */
  private settle(err: unknown): void {
    const w = this.waiter;
    if (w === null) return;
    this.waiter = null;
    this.handle.unref();
    if (w.onAbort !== null) w.signal!.removeEventListener('abort', w.onAbort);
    if (err === null) w.resolve(); else w.reject(err);
  }

  /** Stops watching and closes the small poller; a parked wait fails with the closed error. Before the descriptor itself is closed. */
  remove(): void {
    if (this.removed) return;
    this.settle(new NetClosingError('use of closed file'));
    this.removed = true;
    this.handle.stop();
    this.handle.close();
    closeRaw(this.kernel.fd);
  }
}
