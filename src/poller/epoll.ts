// Go's runtime/netpoll_epoll.go: one epoll descriptor, an eventfd for
// wake-ups, edge-triggered registration for each fd's whole life.
import { C, EFD_CLOEXEC, EFD_NONBLOCK, EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP,
  EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL } from '../sys/constants.ts';
import { EpollEventBuffer } from '../sys/epoll-layout.ts';
import { close as closeFd, epoll as epollCalls, read, write, type EpollCalls } from '../sys/libc.ts';
import { check, SyscallError } from '../sys/syscall-error.ts';
import type { Mode, Poller, ReadyCallback, WakerHandle } from './types.ts';
import { checkDelay, checkFd, checkOpen, checkToken } from './validate.ts';
import { WakeSignal } from './wake-signal.ts';

const BATCH = 128;
/** epoll data of the eventfd: high word all ones, never a safe-integer token. */
const WAKE_HIGH = 0xffffffff;
const READ_EVENTS = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
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

export class EpollPoller implements Poller {
  readonly backend = 'epoll' as const;
  readonly fd: number;
  readonly batch = BATCH;
  private readonly eventFd: number;
  private readonly sys: EpollCalls;
  private readonly events = new EpollEventBuffer(BATCH);
  private readonly ctlEvent = new EpollEventBuffer(1);
  private readonly sig = new WakeSignal();
  private readonly one = new Uint8Array(new BigUint64Array([1n]).buffer);
  private readonly drain = new Uint8Array(8);
  private isClosed = false;

  constructor() {
    if (!epollCalls) throw new Error('netpoll: epoll exists only on Linux');
    this.sys = epollCalls;
    this.fd = check('epoll_create1', this.sys.epollCreate1(EPOLL_CLOEXEC));
    const efd = this.sys.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) { closeFd(this.fd); throw new SyscallError('eventfd', -efd); }
    this.eventFd = efd;
    // Level-triggered: a wake left by a non-blocking poll stays visible.
    this.ctlEvent.set(0, EPOLLIN, WAKE_HIGH, 0);
    const r = this.sys.epollCtl(this.fd, EPOLL_CTL_ADD, efd, this.ctlEvent.bytes);
    if (r < 0) { closeFd(efd); closeFd(this.fd); throw new SyscallError('epoll_ctl', -r); }
  }

  get closed(): boolean { return this.isClosed; }

  isPollDescriptor(fd: number): boolean {
    return fd === this.fd || fd === this.eventFd;
  }

  open(fd: number, token: number): void {
    checkOpen(this.isClosed, 'open');
    checkFd(fd);
    checkToken(token);
    if (this.isPollDescriptor(fd)) throw new RangeError(`netpoll: fd ${fd} is the poller's own descriptor`);
    this.ctlEvent.set(0, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, Math.floor(token / TWO32), token % TWO32);
    check('epoll_ctl', this.sys.epollCtl(this.fd, EPOLL_CTL_ADD, fd, this.ctlEvent.bytes));
  }

  close(fd: number): void {
    checkOpen(this.isClosed, 'close');
    checkFd(fd);
    if (this.isPollDescriptor(fd)) throw new RangeError(`netpoll: fd ${fd} is the poller's own descriptor`);
    check('epoll_ctl', this.sys.epollCtl(this.fd, EPOLL_CTL_DEL, fd, this.ctlEvent.bytes));
  }

  arm(_token: number, _mode: Mode): never {
    throw new Error('runtime: unused (netpollarm: epoll is edge-triggered and never re-armed)');
  }

  wake(): void {
    checkOpen(this.isClosed, 'wake');
    if (!this.sig.claim()) return;
    for (;;) {
      const n = write(this.eventFd, this.one, 8);
      if (n >= 0 || n === -C.EAGAIN) return; // EAGAIN: counter saturated, a wake is pending anyway
      if (n !== -C.EINTR) throw new SyscallError('write', -n);
    }
  }

  waker(): WakerHandle {
    checkOpen(this.isClosed, 'waker');
    return { kind: 'eventfd', fd: this.eventFd, sig: this.sig.sab };
  }

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
      const high = ev.dataHigh(i);
      if (high === WAKE_HIGH) {
        if (events !== EPOLLIN) throw new Error(`netpoll: unexpected epoll events 0x${events.toString(16)} on the wake eventfd`);
        if (asBlocking) {
          read(this.eventFd, this.drain, 8); // resets the counter; EAGAIN means a racing poll drained it
          this.sig.clear();
        }
        continue;
      }
      const r = (events & READ_EVENTS) !== 0, w = (events & WRITE_EVENTS) !== 0;
      if (!r && !w) continue;
      onReady(high * TWO32 + ev.dataLow(i), r ? (w ? 'rw' : 'r') : 'w', events === EPOLLERR);
      delivered++;
    }
    return delivered;
  }

  shutdown(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.sig.kill();
    closeFd(this.eventFd);
    closeFd(this.fd);
  }
}
