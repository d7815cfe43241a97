// Go's runtime/netpoll_epoll.go: one epoll descriptor, an eventfd for
// wake-ups (wakeup-eventfd.ts), edge-triggered registration for each fd's
// whole life.
import { C, EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP, EPOLL_CLOEXEC, EPOLL_CTL_ADD,
  EPOLL_CTL_DEL } from '../sys/constants.ts';
import { EpollEventBuffer } from '../sys/epoll-layout.ts';
import { epoll as epollCalls, type EpollCalls } from '../sys/libc.ts';
import { closeOwned, own } from '../sys/thread-end.ts';
import { check, SyscallError } from '../sys/syscall-error.ts';
import type { Mode, Poller, ReadyCallback, WakerHandle } from './types.ts';
import { checkDelay, checkFd, checkOpen, checkToken } from './validate.ts';
import { WakeSignal } from './wake-signal.ts';
import { EventfdWakeup } from './wakeup-eventfd.ts';

const BATCH = 128;
const READ_EVENTS = EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
/** Events after which a short read may leave bytes behind (a FIN, an error, TCP's urgent mark). */
const READ_END = EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
const WRITE_EVENTS = EPOLLOUT | EPOLLHUP | EPOLLERR;
const TWO32 = 0x1_0000_0000;

/** Go's delay → epoll_wait milliseconds: round sub-ms waits up, cap at ~11.5 days. */
export function epollTimeoutMs(delayNs: number): number {
  if (delayNs < 0) return -1;
  if (delayNs === 0) return 0;
  if (delayNs < 1e6) return 1;
  if (delayNs < 1e15) return Math.floor(delayNs / 1e6);
  return 1e9;
}

/**
 * The epoll poller (Linux).
 *
 * @example
 * const p = new EpollPoller();
 * p.open(fd, 42);
 * p.poll(-1, (token, mode) => console.log(token, mode));
 * p.shutdown();
 */
export class EpollPoller implements Poller {
  readonly backend = 'epoll' as const;
  /** Go's epfd. */
  readonly fd: number;
  readonly batch = BATCH;
  private readonly sys: EpollCalls;
  private readonly events = new EpollEventBuffer(BATCH);
  private readonly ctlEvent = new EpollEventBuffer(1);
  private readonly sig = new WakeSignal();
  private readonly wakeup: EventfdWakeup;
  private isClosed = false;

  /** netpollinit */
  constructor() {
    if (!epollCalls) throw new Error('netpoll: epoll exists only on Linux');
    this.sys = epollCalls;
    this.fd = own(check('epoll_create1', this.sys.epollCreate1(EPOLL_CLOEXEC)));
    try {
      this.wakeup = new EventfdWakeup(this.sys, this.fd, this.ctlEvent);
    } catch (e) {
      closeOwned(this.fd);
      throw e;
    }
  }

  get closed(): boolean { return this.isClosed; }

  /** netpollIsPollDescriptor */
  isPollDescriptor(fd: number): boolean {
    return fd === this.fd || this.wakeup.owns(fd);
  }

  /**
   * netpollopen: EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, the token as epoll
   * data; and EPOLLPRI (Go does not ask for it), so an event tells when
   * urgent data stops a read short of the bytes behind it.
   */
  open(fd: number, token: number): void {
    checkOpen(this.isClosed, 'open');
    checkFd(fd);
    checkToken(token);
    if (this.isPollDescriptor(fd)) throw new RangeError(`netpoll: fd ${fd} is the poller's own descriptor`);
    this.ctlEvent.set(0, EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP | EPOLLET, Math.floor(token / TWO32), token % TWO32);
    check('epoll_ctl', this.sys.epollCtl(this.fd, EPOLL_CTL_ADD, fd, this.ctlEvent.bytes));
  }

  /** netpollclose: EPOLL_CTL_DEL. */
  close(fd: number): void {
    checkOpen(this.isClosed, 'close');
    checkFd(fd);
    if (this.isPollDescriptor(fd)) throw new RangeError(`netpoll: fd ${fd} is the poller's own descriptor`);
    check('epoll_ctl', this.sys.epollCtl(this.fd, EPOLL_CTL_DEL, fd, this.ctlEvent.bytes));
  }

  /** netpollarm */
  arm(_token: number, _mode: Mode): never {
    throw new Error('runtime: unused (netpollarm: epoll is edge-triggered and never re-armed)');
  }

  /** netpollBreak */
  wake(): void {
    checkOpen(this.isClosed, 'wake');
    this.sig.wake(this.kernelWake);
  }

  private readonly kernelWake = (): void => { this.wakeup.wakeNetpoll(); };

  waker(): WakerHandle {
    checkOpen(this.isClosed, 'waker');
    return this.wakeup.handle(this.sig.sab);
  }

  /** netpoll(delay) */
  poll(delayNs: number, onReady: ReadyCallback, asBlocking = delayNs !== 0): number {
    checkOpen(this.isClosed, 'poll');
    checkDelay(delayNs);
    const waitMs = epollTimeoutMs(delayNs);
    const ev = this.events;
    let n: number;
    for (;;) {
      n = this.sys.epollWait(this.fd, ev.bytes, BATCH, waitMs);
      if (n >= 0) break;
      if (n !== -C.EINTR) throw new SyscallError('epoll_wait', -n);
      if (waitMs > 0) return 0; // let the caller recompute its sleep
    }
    let delivered = 0;
    for (let i = 0; i < n; i++) {
      const events = ev.events(i);
      if (events === 0) continue;
      if (this.wakeup.isWakeup(ev, i)) {
        this.wakeup.drainWakeupEvent(asBlocking);
        if (asBlocking) this.sig.clear();
        continue;
      }
      const r = (events & READ_EVENTS) !== 0, w = (events & WRITE_EVENTS) !== 0;
      if (!r && !w) continue;
      onReady(ev.dataHigh(i) * TWO32 + ev.dataLow(i), r ? (w ? 'rw' : 'r') : 'w', events === EPOLLERR, (events & READ_END) !== 0);
      delivered++;
    }
    return delivered;
  }

  shutdown(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.sig.kill(); // no wake from another thread is in flight after this
    this.wakeup.close();
    closeOwned(this.fd);
  }
}
