// The few epoll and eventfd operations the ukqueue needs, with one reusable
// epoll_event for epoll_ctl. Results are n or -errno, like libc.ts.
import { C, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } from '../constants.ts';
import { EpollEventBuffer } from '../epoll-layout.ts';
import { epoll, fcntl, read, write } from '../libc.ts';

// Linux only: index.ts refuses to create a ukqueue elsewhere, so nothing below
// runs without epoll.
export const E = epoll!;

const ctlEvent = new EpollEventBuffer(1);

/** epoll_ctl with the event's data = fd in its low half and `gen` (default 0) in its high half. */
export function ctl(ep: number, op: number, fd: number, events: number, gen = 0): number {
  if (op === EPOLL_CTL_DEL) return E.epollCtl(ep, op, fd, null);
  ctlEvent.set(0, events, gen, fd);
  return E.epollCtl(ep, op, fd, ctlEvent.bytes);
}

/** Register fd, or change its interest when it is already there (a stale entry after a reused number). */
export function addOrMod(ep: number, fd: number, events: number, gen: number): number {
  const r = ctl(ep, EPOLL_CTL_ADD, fd, events, gen);
  return r === -C.EEXIST ? ctl(ep, EPOLL_CTL_MOD, fd, events, gen) : r;
}

/** Change interest, or register it when the kernel dropped it (the fd was closed and its number reused). */
export function modOrAdd(ep: number, fd: number, events: number, gen: number): number {
  const r = ctl(ep, EPOLL_CTL_MOD, fd, events, gen);
  return r === -C.ENOENT ? ctl(ep, EPOLL_CTL_ADD, fd, events, gen) : r;
}

/** 0 when fd is an open descriptor, else EBADF (the errno BSD reports first for an fd ident). */
export function fdError(fd: number): number {
  return fcntl(fd, C.F_GETFD, 0) === -C.EBADF ? C.EBADF : 0;
}

const one = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);
const sink = new Uint8Array(8);

/** Adds 1 to an eventfd counter: triggers a user knote. EAGAIN (saturated) is already triggered. */
export function eventfdSignal(efd: number): void {
  write(efd, one, 8);
}

/** Resets an eventfd counter to 0 (EAGAIN when it already was). */
export function eventfdDrain(efd: number): void {
  read(efd, sink, 8);
}
