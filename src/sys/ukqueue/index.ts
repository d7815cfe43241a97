// A user-space kqueue on Linux over epoll and eventfd (the approach of
// libkqueue), so the kqueue backend — Go's netpoll_kqueue.go algorithm — runs
// and is tested on Linux. Same contract as the kernel's calls in libc.ts:
// results are n or -errno; misuse of memory (short buffers) throws RangeError.
//
// Follows FreeBSD's kevent(2) (kern_event.c) where BSDs differ:
// - changes apply in order; a failed change, or any change with EV_RECEIPT,
//   becomes an event with flags EV_ERROR and data = errno (0 for a receipt)
//   while the event list has room; once it has none, kevent returns -errno
//   at the first failure (0 for a receipt) and applies no further change;
// - if any such event was written, kevent returns their count without waiting;
// - nevents 0 never waits (the timeout is not even looked at);
// - a change with filter 0 is skipped; an unknown filter is EINVAL;
// - knote flags (EV_CLEAR, EV_ONESHOT) are fixed by the EV_ADD that created
//   the knote; every later change but EV_DELETE replaces udata.
import { C, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN } from '../constants.ts';
import { checkRange } from '../bounds.ts';
import { KEVENT, getI64 } from '../kevent-layout.ts';
import { close, epoll, type KqueueCalls } from '../libc.ts';
import { closeOwned, own } from '../thread-end.ts';
import { SyscallError } from '../syscall-error.ts';
import { applyChange } from './changes.ts';
import { ctl } from './epoll-ops.ts';
import { waitAndHarvest, writeEvent } from './harvest.ts';
import { EV_SYSFLAGS } from './knote.ts';
import { kqueues, UKqueue } from './kq-table.ts';

const K = KEVENT;
const TIMESPEC_SIZE = 16;

function kqueue(): number {
  if (epoll === null) return -C.ENOSYS;
  const outer = epoll.epollCreate1(EPOLL_CLOEXEC);
  if (outer < 0) return outer;
  const readEp = epoll.epollCreate1(EPOLL_CLOEXEC);
  const writeEp = readEp < 0 ? -1 : epoll.epollCreate1(EPOLL_CLOEXEC);
  let r = readEp < 0 ? readEp : writeEp;
  if (r >= 0) r = ctl(outer, EPOLL_CTL_ADD, readEp, EPOLLIN);
  if (r >= 0) r = ctl(outer, EPOLL_CTL_ADD, writeEp, EPOLLIN);
  if (r < 0) {
    for (const fd of [writeEp, readEp, outer]) if (fd >= 0) close(fd);
    return r;
  }
  // A ukqueue closed with close(2) instead of closeKqueue left its entry
  // behind; its number is now ours again, so free what the entry still holds.
  const stale = kqueues.get(outer);
  if (stale !== undefined) release(stale, false);
  kqueues.set(outer, new UKqueue(outer, own(readEp), own(writeEp)));
  return outer;
}

function release(kq: UKqueue, closeOuter: boolean): number {
  kqueues.delete(kq.fd);
  // The inner descriptors are the kqueue's own; the outer one is its owner's (the poller's).
  for (const kn of kq.users.values()) closeOwned(kn.efd);
  kq.users.clear(); kq.usersByEfd.clear(); kq.reads.clear(); kq.writes.clear();
  closeOwned(kq.readEp);
  closeOwned(kq.writeEp);
  return closeOuter ? close(kq.fd) : 0;
}

function closeKqueue(kqfd: number): number {
  const kq = kqueues.get(kqfd);
  return kq === undefined ? -C.EBADF : release(kq, true);
}

// The poller passes the same buffers on every call: keep their views.
let changesBuf: ArrayBufferView | null = null;
let changesView: DataView | null = null;
let eventsBuf: ArrayBufferView | null = null;
let eventsView: DataView | null = null;

function viewOfChanges(b: ArrayBufferView): DataView {
  if (b !== changesBuf || changesView === null) { changesView = new DataView(b.buffer, b.byteOffset, b.byteLength); changesBuf = b; }
  return changesView;
}
function viewOfEvents(b: ArrayBufferView): DataView {
  if (b !== eventsBuf || eventsView === null) { eventsView = new DataView(b.buffer, b.byteOffset, b.byteLength); eventsBuf = b; }
  return eventsView;
}

function checkList(buf: ArrayBufferView | null, count: number, what: string): void {
  if (count === 0) return;
  if (buf === null) throw new RangeError(`netpoll: kevent ${what} is null but its count is ${count}`);
  checkRange(buf, 0, count * K.size);
}

/** ms to wait from a struct timespec, or -1 when BSD would say EINVAL. */
function timespecMs(ts: ArrayBufferView): number {
  const v = new DataView(ts.buffer, ts.byteOffset, TIMESPEC_SIZE);
  const sec = getI64(v, 0), nsec = getI64(v, 8);
  if (sec < 0 || nsec < 0 || nsec >= 1e9) return -1;
  return sec * 1000 + nsec / 1e6;
}

function kevent(kqfd: number, changes: ArrayBufferView | null, nchanges: number,
                events: ArrayBufferView | null, nevents: number, timeout: ArrayBufferView | null): number {
  const kq = kqueues.get(kqfd);
  if (kq === undefined) return -C.EBADF;
  if (!Number.isInteger(nchanges) || !Number.isInteger(nevents)) {
    throw new RangeError(`netpoll: kevent counts must be integers, got ${String(nchanges)} and ${String(nevents)}`);
  }
  if (nchanges < 0 || nevents < 0) return -C.EINVAL;
  checkList(changes, nchanges, 'changelist');
  checkList(events, nevents, 'eventlist');
  if (timeout !== null) checkRange(timeout, 0, TIMESPEC_SIZE);

  const out = nevents > 0 ? viewOfEvents(events!) : null;
  let room = nevents;
  let reported = 0;
  if (nchanges > 0) {
    const cv = viewOfChanges(changes!);
    for (let i = 0; i < nchanges; i++) {
      const o = i * K.size;
      const filter = cv.getInt16(o + K.filter, true);
      if (filter === 0) continue;
      const flags = cv.getUint16(o + K.flags, true) & ~EV_SYSFLAGS;
      const identLo = cv.getUint32(o + K.ident, true), identHi = cv.getUint32(o + K.ident + 4, true);
      const fflags = cv.getUint32(o + K.fflags, true);
      const dataLo = cv.getUint32(o + K.data, true), dataHi = cv.getUint32(o + K.data + 4, true);
      const udataLo = cv.getUint32(o + K.udata, true), udataHi = cv.getUint32(o + K.udata + 4, true);
      const err = applyChange(kq, filter, identLo, identHi, flags, fflags, dataLo, dataHi, udataLo, udataHi);
      if (err !== 0 || (flags & C.EV_RECEIPT)) {
        if (room === 0) return err === 0 ? 0 : -err;
        writeEvent(out!, reported++, identLo, identHi, filter, C.EV_ERROR, fflags, err, 0, udataLo, udataHi);
        room--;
      }
    }
  }
  if (reported > 0) return reported;
  if (nevents === 0) return 0;

  let ms = Infinity;
  if (timeout !== null) {
    ms = timespecMs(timeout);
    if (ms < 0) return -C.EINVAL;
  }
  return waitAndHarvest(kq, out!, nevents, ms);
}

export const ukqueue: KqueueCalls = { kqueue, kevent, closeKqueue };

/**
 * The eventfd behind an EVFILT_USER knote: writing 8 bytes (value 1) to it
 * from ANY thread triggers that knote exactly like NOTE_TRIGGER. It is closed
 * when the knote is deleted (EV_DELETE, an EV_ONESHOT delivery, closeKqueue).
 */
export function ukqueueUserEventFd(kqfd: number, ident: number): number {
  const kq = kqueues.get(kqfd);
  if (kq === undefined) throw new SyscallError('ukqueueUserEventFd', C.EBADF);
  const kn = kq.users.get(ident);
  if (kn === undefined) throw new SyscallError('ukqueueUserEventFd', C.ENOENT);
  return kn.efd;
}
