// What every wake-up mechanism of a poller provides, under Go's four names
// (runtime/netpoll_kqueue_event.go and netpoll_kqueue_pipe.go; epoll's
// eventfd follows the same shape): addWakeupEvent is the mechanism's
// constructor, wakeNetpoll the kernel wake, isWakeup recognises its event
// in a harvested batch, drainWakeupEvent deals with what that event leaves.
// One module per mechanism: wakeup-eventfd.ts, wakeup-kevent.ts,
// wakeup-pipe.ts. The shared wake signal in front of them (wake-signal.ts)
// collapses concurrent wakes into one and keeps them off closed descriptors.
import { C } from '../sys/constants.ts';
import { write } from '../sys/libc.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import type { WakerHandle } from './types.ts';

/** A poller's wake-up; B is the poller's harvested-event buffer. */
export interface Wakeup<B> {
  /** wakeNetpoll: the kernel wake, on the poller's own thread. */
  wakeNetpoll(): void;
  /** isWakeup: event i of the batch is this wake-up (and no descriptor's readiness). */
  isWakeup(events: B, i: number): boolean;
  /**
   * drainWakeupEvent: a blocking poll consumed the wake, so it is reset; a
   * non-blocking poll that saw it leaves it armed for the blocking poller.
   */
  drainWakeupEvent(asBlocking: boolean): void;
  /** Whether fd is one of the mechanism's own descriptors (part of netpollIsPollDescriptor). */
  owns(fd: number): boolean;
  /** What another thread needs to wake the poller (wakerFrom). */
  handle(sig: SharedArrayBuffer): WakerHandle;
  /** Closes the mechanism's own descriptors. */
  close(): void;
}

/**
 * write(2) of a wake token (eventfd's 8-byte 1, a pipe's byte), EINTR
 * retried. EAGAIN is success: the counter is saturated or the pipe full, so
 * a wake is pending anyway.
 */
export function writeWake(fd: number, token: Uint8Array): void {
  for (;;) {
    const n = write(fd, token, token.length);
    if (n >= 0 || n === -C.EAGAIN) return;
    if (n !== -C.EINTR) throw new SyscallError('write', -n);
  }
}
