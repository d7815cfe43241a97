// The EVFILT_USER wake-up (Go's netpoll_kqueue_event.go): a user event on
// the kqueue itself, EV_CLEAR so a harvest resets it. Over the user-space
// kqueue on Linux the knote is an eventfd, which other threads write to.
import { C } from '../sys/constants.ts';
import { KeventBuffer } from '../sys/kevent-layout.ts';
import { kernelKqueue, type KqueueCalls } from '../sys/libc.ts';
import { IS_LINUX } from '../sys/platform.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { ukqueueUserEventFd } from '../sys/ukqueue/index.ts';
import type { WakerHandle } from './types.ts';
import { type Wakeup } from './wakeup.ts';

/** Go's kqIdent for the EVFILT_USER wake-up. */
export const KQ_IDENT = 0xee1eb9f4;

/** kevent(2) of n changes, EINTR retried (the change list is applied before EINTR; applying it twice is harmless). */
export function keventChange(sys: KqueueCalls, kq: number, changes: KeventBuffer, n = 1): void {
  for (;;) {
    const r = sys.kevent(kq, changes.bytes, n, null, 0, null);
    if (r >= 0) return;
    if (r !== -C.EINTR) throw new SyscallError('kevent', -r);
  }
}

export class KeventWakeup implements Wakeup<KeventBuffer> {
  private readonly trigger = new KeventBuffer(1);
  /** The eventfd behind the user-space kqueue's knote (Linux only), else -1. */
  private readonly userEventFd: number = -1;

  /** addWakeupEvent: EVFILT_USER on kq, EV_ADD|EV_CLEAR. */
  constructor(private readonly sys: KqueueCalls, private readonly kq: number) {
    const add = new KeventBuffer(1);
    add.set(0, KQ_IDENT, C.EVFILT_USER, C.EV_ADD | C.EV_CLEAR, 0, 0, 0);
    keventChange(sys, kq, add);
    if (IS_LINUX) this.userEventFd = ukqueueUserEventFd(kq, KQ_IDENT);
    this.trigger.set(0, KQ_IDENT, C.EVFILT_USER, 0, C.NOTE_TRIGGER, 0, 0);
  }

  /** wakeNetpoll: NOTE_TRIGGER. */
  wakeNetpoll(): void { keventChange(this.sys, this.kq, this.trigger); }

  /** isWakeup: the EVFILT_USER event; any other user event on this kqueue is a bug. */
  isWakeup(events: KeventBuffer, i: number): boolean {
    if (events.filter(i) !== C.EVFILT_USER) return false;
    if (events.ident(i) !== KQ_IDENT) throw new Error('netpoll: EVFILT_USER event with an unexpected ident');
    return true;
  }

  /**
   * drainWakeupEvent: EV_CLEAR already reset the event. A non-blocking poll
   * that harvested it triggers it again, so the blocking poller still wakes.
   */
  drainWakeupEvent(asBlocking: boolean): void {
    if (!asBlocking) this.wakeNetpoll();
  }

  owns(fd: number): boolean { return fd >= 0 && fd === this.userEventFd; }

  handle(sig: SharedArrayBuffer): WakerHandle {
    if (IS_LINUX) return { kind: 'eventfd', fd: this.userEventFd, sig };
    return { kind: 'kevent-user', kq: this.kq, ident: KQ_IDENT, sig };
  }

  /** Nothing of its own: the knote (and its eventfd) go with the kqueue. */
  close(): void {}
}

/** wakeNetpoll from another thread, for a 'kevent-user' handle (a kernel kqueue). */
export function keventWakeFrom(kq: number, ident: number): () => void {
  if (!kernelKqueue) throw new Error('netpoll: kevent waker handle on a platform without kqueue');
  const sys = kernelKqueue;
  const change = new KeventBuffer(1);
  change.set(0, ident, C.EVFILT_USER, 0, C.NOTE_TRIGGER, 0, 0);
  return () => keventChange(sys, kq, change);
}
