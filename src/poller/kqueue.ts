// Go's runtime/netpoll_kqueue.go: one kqueue, EVFILT_READ and EVFILT_WRITE
// with EV_ADD|EV_CLEAR for each fd's whole life, and a wake-up by
// EVFILT_USER where the OS has it (wakeup-kevent.ts), a pipe where not
// (wakeup-pipe.ts). On Linux the same code runs over the user-space kqueue
// (sys/ukqueue).
import { disown, own } from '../sys/thread-end.ts';
import { C } from '../sys/constants.ts';
import { setCloseOnExec } from '../sys/descriptors.ts';
import { KeventBuffer } from '../sys/kevent-layout.ts';
import { kernelKqueue, type KqueueCalls } from '../sys/libc.ts';
import { IS_LINUX, OS_NAME } from '../sys/platform.ts';
import { check, SyscallError } from '../sys/syscall-error.ts';
import { ukqueue } from '../sys/ukqueue/index.ts';
import type { Mode, Poller, ReadyCallback, WakerHandle } from './types.ts';
import { checkDelay, checkFd, checkOpen, checkToken } from './validate.ts';
import { WakeSignal } from './wake-signal.ts';
import { keventChange, KeventWakeup } from './wakeup-kevent.ts';
import { PipeWakeup } from './wakeup-pipe.ts';
import type { Wakeup } from './wakeup.ts';

export { KQ_IDENT } from './wakeup-kevent.ts';

const BATCH = 64;
/** Darwin rejects longer sleeps with EINVAL; Go caps tv_sec at 1e6 s. */
const MAX_SLEEP_SEC = 1e6;

/** NetBSD and OpenBSD wake by a self-pipe, as Go does; the others by EVFILT_USER. */
const USE_PIPE = OS_NAME === 'netbsd' || OS_NAME === 'openbsd';

/**
 * The kqueue poller (macOS, the BSDs; on Linux over the user-space kqueue).
 *
 * @example
 * const p = new KqueuePoller();
 * p.open(fd, 42);
 * p.poll(-1, (token, mode) => console.log(token, mode));
 * p.shutdown();
 */
export class KqueuePoller implements Poller {
  readonly backend = 'kqueue' as const;
  /** Go's kq. */
  readonly fd: number;
  readonly batch = BATCH;
  private readonly sys: KqueueCalls;
  private readonly events = new KeventBuffer(BATCH);
  private readonly changes = new KeventBuffer(2);
  private readonly timespec = new Uint8Array(16);
  private readonly tsView = new DataView(this.timespec.buffer);
  private readonly sig = new WakeSignal();
  private readonly wakeup: Wakeup<KeventBuffer> | null = null;
  private isClosed = false;

  /** netpollinit */
  constructor() {
    const sys = IS_LINUX ? ukqueue : kernelKqueue;
    if (!sys) throw new Error('netpoll: no kqueue on this platform');
    this.sys = sys;
    this.fd = own(check('kqueue', sys.kqueue()));
    try {
      if (!IS_LINUX) setCloseOnExec(this.fd); // kqueue(2) takes no flags
      this.wakeup = USE_PIPE ? new PipeWakeup(sys, this.fd) : new KeventWakeup(sys, this.fd);
    } catch (e) {
      this.shutdown();
      throw e;
    }
  }

  get closed(): boolean { return this.isClosed; }

  /** netpollIsPollDescriptor */
  isPollDescriptor(fd: number): boolean {
    return fd === this.fd || this.wakeup!.owns(fd);
  }

  /** netpollopen: EVFILT_READ and EVFILT_WRITE, EV_ADD|EV_CLEAR, the token as udata. */
  open(fd: number, token: number): void {
    checkOpen(this.isClosed, 'open');
    checkFd(fd);
    checkToken(token);
    if (this.isPollDescriptor(fd)) throw new RangeError(`netpoll: fd ${fd} is the poller's own descriptor`);
    const ch = this.changes;
    ch.set(0, fd, C.EVFILT_READ, C.EV_ADD | C.EV_CLEAR, 0, 0, token);
    ch.set(1, fd, C.EVFILT_WRITE, C.EV_ADD | C.EV_CLEAR, 0, 0, token);
    keventChange(this.sys, this.fd, ch, 2);
  }

  /**
   * netpollclose: nothing to do. close(2) drops the fd's knotes, and the
   * token's sequence number filters events already harvested.
   */
  close(fd: number): void {
    checkOpen(this.isClosed, 'close');
    checkFd(fd);
  }

  /** netpollarm */
  arm(_token: number, _mode: Mode): never {
    throw new Error('runtime: unused (netpollarm: kqueue is edge-triggered and never re-armed)');
  }

  /** netpollBreak */
  wake(): void {
    checkOpen(this.isClosed, 'wake');
    this.sig.wake(this.kernelWake);
  }

  private readonly kernelWake = (): void => { this.wakeup!.wakeNetpoll(); };

  waker(): WakerHandle {
    checkOpen(this.isClosed, 'waker');
    return this.wakeup!.handle(this.sig.sab);
  }

  private timeout(delayNs: number): Uint8Array | null {
    if (delayNs < 0) return null;
    let sec = Math.floor(delayNs / 1e9);
    let nsec = delayNs - sec * 1e9;
    if (sec > MAX_SLEEP_SEC) { sec = MAX_SLEEP_SEC; nsec = 0; }
    this.tsView.setUint32(0, sec, true); this.tsView.setUint32(4, 0, true);
    this.tsView.setUint32(8, Math.floor(nsec), true); this.tsView.setUint32(12, 0, true);
    return this.timespec;
  }

  /** netpoll(delay) */
  poll(delayNs: number, onReady: ReadyCallback, asBlocking = delayNs !== 0): number {
    checkOpen(this.isClosed, 'poll');
    checkDelay(delayNs);
    const ts = this.timeout(delayNs);
    const ev = this.events;
    const wakeup = this.wakeup!;
    let n: number;
    for (;;) {
      n = this.sys.kevent(this.fd, null, 0, ev.bytes, BATCH, ts);
      if (n >= 0) break;
      // ETIMEDOUT is tolerated as in Go (go.dev/issue/59679).
      if (n !== -C.EINTR && n !== -C.ETIMEDOUT) throw new SyscallError('kevent', -n);
      if (delayNs > 0) return 0;
    }
    let delivered = 0;
    for (let i = 0; i < n; i++) {
      if (wakeup.isWakeup(ev, i)) {
        wakeup.drainWakeupEvent(asBlocking);
        if (asBlocking) this.sig.clear();
        continue;
      }
      const filter = ev.filter(i);
      const flags = ev.flags(i);
      let mode: Mode;
      if (filter === C.EVFILT_READ) {
        // Some systems report a closed reader to the writer only as EV_EOF here.
        mode = (flags & C.EV_EOF) !== 0 ? 'rw' : 'r';
      } else if (filter === C.EVFILT_WRITE) {
        mode = 'w';
      } else {
        continue;
      }
      // readEnd always: kqueue says nothing of urgent data, so a short read never counts as drained.
      onReady(ev.udata(i), mode, flags === C.EV_ERROR, true);
      delivered++;
    }
    return delivered;
  }

  shutdown(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.sig.kill(); // no wake from another thread is in flight after this
    this.wakeup?.close();
    if (this.fd >= 0) { disown(this.fd); this.sys.closeKqueue(this.fd); }
  }
}
