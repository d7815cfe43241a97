// Waiting on a ukqueue and turning ready epoll entries into kevents.
//
// One epoll_wait on the outer epoll tells which sources are ready (an inner
// epoll per fd filter, an eventfd per user knote); one epoll_wait with no
// timeout on each ready inner epoll yields its fds. Events are written
// straight into the caller's buffer through a DataView: nothing is allocated
// per event, and no epoll_wait ever writes outside the module's own buffers.
import { C, EPOLL_CTL_DEL, EPOLLERR, EPOLLHUP, EPOLLRDHUP } from '../constants.ts';
import { EpollEventBuffer } from '../epoll-layout.ts';
import { KEVENT } from '../kevent-layout.ts';
import { ioctlInt } from '../libc.ts';
import { dropUserKnote } from './changes.ts';
import { rebuildInner } from './rebuild.ts';
import { ctl, E, eventfdDrain } from './epoll-ops.ts';
import type { Knote } from './knote.ts';
import type { UKqueue } from './kq-table.ts';

const OUTER_CAP = 64;
const INNER_CAP = 256;
const outerEvents = new EpollEventBuffer(OUTER_CAP);
const innerEvents = new EpollEventBuffer(INNER_CAP);
const MAX_WAIT_MS = 0x7fffffff;
const K = KEVENT;

if (K.size !== 32 || K.filterBytes !== 2 || K.flagsBytes !== 2) {
  throw new Error('netpoll: the user-space kqueue expects the 32-byte FreeBSD kevent layout');
}

/** Writes one kevent at index i of the caller's event list (bounds checked by the caller and DataView). */
export function writeEvent(out: DataView, i: number, identLo: number, identHi: number, filter: number, flags: number,
                           fflags: number, dataLo: number, dataHi: number, udataLo: number, udataHi: number): void {
  const o = i * K.size;
  out.setUint32(o + K.ident, identLo, true);
  out.setUint32(o + K.ident + 4, identHi, true);
  out.setInt16(o + K.filter, filter, true);
  out.setUint16(o + K.flags, flags, true);
  out.setUint32(o + K.fflags, fflags >>> 0, true);
  out.setUint32(o + K.data, dataLo >>> 0, true);
  out.setUint32(o + K.data + 4, dataHi >>> 0, true);
  out.setUint32(o + K.udata, udataLo, true);
  out.setUint32(o + K.udata + 4, udataHi, true);
}

function waitMs(ms: number): number {
  const c = Math.ceil(ms);   // epoll counts whole ms: round up, never wake early
  return c > MAX_WAIT_MS ? MAX_WAIT_MS : c;
}

/**
 * Waits up to timeoutMs (Infinity: no limit; 0: poll) and harvests up to
 * nevents events. Returns their count, 0 on timeout, or -errno (-EINTR).
 */
export function waitAndHarvest(kq: UKqueue, out: DataView, nevents: number, timeoutMs: number): number {
  const max = nevents < OUTER_CAP ? nevents : OUTER_CAP;
  let ms = timeoutMs === Infinity ? -1 : timeoutMs === 0 ? 0 : waitMs(timeoutMs);
  const deadline = ms > 0 ? performance.now() + timeoutMs : 0;
  for (;;) {
    const r = E.epollWait(kq.fd, outerEvents.bytes, max, ms);
    if (r < 0) return r;
    if (r > 0) {
      const n = harvest(kq, out, nevents, r);
      if (n > 0) return n;
      // Ready sources that yielded nothing (a race with another waiter on an
      // inner epoll): keep waiting for what is left of the timeout.
    }
    if (ms === 0) return 0;
    if (ms > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return 0;
      ms = waitMs(left);
    }
  }
}

function harvest(kq: UKqueue, out: DataView, nevents: number, ready: number): number {
  let n = 0;
  // Start at a different ready source each time, so that a busy filter
  // cannot keep a small event list full and starve the others.
  const start = kq.rotor % ready;
  kq.rotor = (kq.rotor + 1) & 0x3fffffff;
  for (let k = 0; k < ready && n < nevents; k++) {
    let i = start + k;
    if (i >= ready) i -= ready;
    const src = outerEvents.dataLow(i);
    if (src === kq.readEp) n = harvestFds(kq, kq.reads, kq.readEp, C.EVFILT_READ, out, n, nevents);
    else if (src === kq.writeEp) n = harvestFds(kq, kq.writes, kq.writeEp, C.EVFILT_WRITE, out, n, nevents);
    else {
      const kn = kq.usersByEfd.get(src);
      if (kn !== undefined && kn.enabled) n = deliverUser(kq, kn, out, n);
    }
  }
  // After the loop: the outer events name the inner epolls by their numbers.
  if (kq.staleReads) { kq.staleReads = false; rebuildInner(kq, C.EVFILT_READ); }
  if (kq.staleWrites) { kq.staleWrites = false; rebuildInner(kq, C.EVFILT_WRITE); }
  return n;
}

function harvestFds(kq: UKqueue, map: Map<number, Knote>, ep: number, filter: number, out: DataView, n: number, nevents: number): number {
  const room = nevents - n < INNER_CAP ? nevents - n : INNER_CAP;
  const m = E.epollWait(ep, innerEvents.bytes, room, 0);
  for (let j = 0; j < m; j++) {
    const fd = innerEvents.dataLow(j);
    const kn = map.get(fd);
    if (kn === undefined || !kn.enabled || innerEvents.dataHigh(j) !== kn.gen) {
      // The entry of a file closed since (its generation is not the knote's):
      // BSD dropped its knotes at the close, so its readiness reaches nobody.
      if (filter === C.EVFILT_READ) kq.staleReads = true; else kq.staleWrites = true;
      continue;
    }
    const ev = innerEvents.events(j);
    let flags = kn.flags;
    let data = 0;
    if (filter === C.EVFILT_READ) {
      // EPOLLRDHUP: the peer shut down writing (sockets); EPOLLHUP: both
      // directions, or a pipe with no writer left.
      if (ev & (EPOLLRDHUP | EPOLLHUP)) flags |= C.EV_EOF;
      const q = ioctlInt(fd, C.FIONREAD);   // fails on listening sockets: data 0 there
      if (q > 0) data = q;
    } else if (ev & (EPOLLHUP | EPOLLERR)) {
      // A pipe whose reader is gone reports EPOLLERR; a socket shut down both
      // ways, EPOLLHUP. fflags stays 0: reading SO_ERROR would clear the error
      // that a connect() in progress still has to collect.
      flags |= C.EV_EOF;
    }
    writeEvent(out, n++, fd, 0, filter, flags, 0, data, 0, kn.udataLo, kn.udataHi);
    if (kn.flags & C.EV_ONESHOT) {
      map.delete(fd);
      ctl(ep, EPOLL_CTL_DEL, fd, 0);
    }
  }
  return n;
}

function deliverUser(kq: UKqueue, kn: Knote, out: DataView, n: number): number {
  writeEvent(out, n, kn.identLo, kn.identHi, C.EVFILT_USER, kn.flags, kn.sfflags, kn.sdataLo, kn.sdataHi, kn.udataLo, kn.udataHi);
  if (kn.flags & C.EV_ONESHOT) dropUserKnote(kq, kn);
  else if (kn.flags & C.EV_CLEAR) eventfdDrain(kn.efd);   // without EV_CLEAR it stays triggered
  return n + 1;
}
