// The eventfd wake-up: epoll's (Go's netpollEventFd in netpoll_epoll.go),
// registered level-triggered under a data word no token can have.
import { EFD_CLOEXEC, EFD_NONBLOCK, EPOLLIN, EPOLL_CTL_ADD } from '../sys/constants.ts';
import type { EpollEventBuffer } from '../sys/epoll-layout.ts';
import { read, type EpollCalls } from '../sys/libc.ts';
import { closeOwned, own } from '../sys/thread-end.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import type { WakerHandle } from './types.ts';
import { writeWake, type Wakeup } from './wakeup.ts';

/** epoll data of the eventfd: high word all ones, never a safe-integer token. */
export const WAKE_HIGH = 0xffffffff;

/** An 8-byte counter increment of 1. */
const ONE = new Uint8Array(new BigUint64Array([1n]).buffer);

export class EventfdWakeup implements Wakeup<EpollEventBuffer> {
  private readonly efd: number;
  private readonly drain = new Uint8Array(8);

  /** addWakeupEvent: an eventfd in epfd's interest list. */
  constructor(sys: EpollCalls, epfd: number, ctl: EpollEventBuffer) {
    const efd = own(sys.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (efd < 0) throw new SyscallError('eventfd', -efd);
    // Level-triggered: a wake left by a non-blocking poll stays visible.
    ctl.set(0, EPOLLIN, WAKE_HIGH, 0);
    const r = sys.epollCtl(epfd, EPOLL_CTL_ADD, efd, ctl.bytes);
    if (r < 0) { closeOwned(efd); throw new SyscallError('epoll_ctl', -r); }
    this.efd = efd;
  }

  /** wakeNetpoll */
  wakeNetpoll(): void { writeWake(this.efd, ONE); }

  /** isWakeup */
  isWakeup(events: EpollEventBuffer, i: number): boolean {
    if (events.dataHigh(i) !== WAKE_HIGH) return false;
    const ev = events.events(i);
    if (ev !== EPOLLIN) throw new Error(`netpoll: unexpected epoll events 0x${ev.toString(16)} on the wake eventfd`);
    return true;
  }

  /** drainWakeupEvent: reading resets the counter (EAGAIN: a racing poll drained it). */
  drainWakeupEvent(asBlocking: boolean): void {
    if (asBlocking) read(this.efd, this.drain, 8);
  }

  owns(fd: number): boolean { return fd === this.efd; }
  handle(sig: SharedArrayBuffer): WakerHandle { return { kind: 'eventfd', fd: this.efd, sig }; }
  close(): void { closeOwned(this.efd); }
}

/** wakeNetpoll from another thread, for an 'eventfd' handle. */
export function eventfdWakeFrom(fd: number): () => void {
  return () => writeWake(fd, ONE);
}
