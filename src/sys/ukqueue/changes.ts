// Applying one change of a kevent() changelist, as FreeBSD's kqueue_register
// does. Returns 0 or the errno that the caller reports as an EV_ERROR event.
//
// fd knotes live in their filter's inner epoll, keyed by the fd (the epoll
// data). A disabled knote is removed from its epoll rather than left with an
// empty interest set: epoll always reports EPOLLERR and EPOLLHUP, and a
// disabled knote must report nothing.
//
// BSD drops an fd's knotes when the fd is closed; the table cannot see the
// close. So a knote is found stale when epoll answers ENOENT (the number was
// reused) or EBADF (it is closed), and is dropped then, as BSD would already
// have done. epoll itself forgets an entry only when the open file goes away
// altogether: a file still open elsewhere (a dup, a child) keeps its entry,
// under the old number, next to the entry of whatever reuses that number.
// Each fd knote therefore has a generation in the high half of its entry's
// data; an event whose generation is not its knote's is the old file's and
// reaches nobody, and the inner epoll is then rebuilt without it (rebuild.ts).
import { C, EFD_CLOEXEC, EFD_NONBLOCK, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLET, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLRDHUP } from '../constants.ts';
import { closeOwned, own } from '../thread-end.ts';
import { addOrMod, ctl, E, eventfdDrain, eventfdSignal, fdError } from './epoll-ops.ts';
import { EV_ACTIONS, Knote, NOTE_FFAND, NOTE_FFCOPY, NOTE_FFCTRLMASK, NOTE_FFLAGSMASK, NOTE_FFOR } from './knote.ts';
import type { UKqueue } from './kq-table.ts';

const TWO32 = 0x1_0000_0000;
const INT_MAX = 0x7fffffff;

/** flags has EV_SYSFLAGS cleared already. */
export function applyChange(kq: UKqueue, filter: number, identLo: number, identHi: number, flags: number,
                            fflags: number, dataLo: number, dataHi: number, udataLo: number, udataHi: number): number {
  if (filter === C.EVFILT_READ || filter === C.EVFILT_WRITE) {
    // An fd ident that no descriptor can have is a bad descriptor, as fget() says on BSD.
    if (identHi !== 0 || identLo > INT_MAX) return C.EBADF;
    return applyFd(kq, filter, identLo, flags, fflags, dataLo, dataHi, udataLo, udataHi);
  }
  if (filter === C.EVFILT_USER) return applyUser(kq, identLo, identHi, flags, fflags, dataLo, dataHi, udataLo, udataHi);
  return C.EINVAL;
}

/** The epoll interest that gives a knote its BSD behaviour. */
export function fdInterest(filter: number, flags: number): number {
  let ev = filter === C.EVFILT_READ ? EPOLLIN | EPOLLRDHUP : EPOLLOUT;
  if (flags & C.EV_CLEAR) ev |= EPOLLET;
  if (flags & C.EV_ONESHOT) ev |= EPOLLONESHOT;
  return ev >>> 0;
}

function wantsEnabled(flags: number, enabled: boolean): boolean {
  // BSD applies EV_DISABLE, then EV_ENABLE: both together leave it enabled.
  if (flags & C.EV_DISABLE) enabled = false;
  if (flags & C.EV_ENABLE) enabled = true;
  return enabled;
}

function applyFd(kq: UKqueue, filter: number, fd: number, flags: number, fflags: number,
                 dataLo: number, dataHi: number, udataLo: number, udataHi: number): number {
  const map = filter === C.EVFILT_READ ? kq.reads : kq.writes;
  const ep = filter === C.EVFILT_READ ? kq.readEp : kq.writeEp;
  const kn = map.get(fd);
  if (kn === undefined) return addFd(kq, map, ep, filter, fd, flags, fflags, dataLo, dataHi, udataLo, udataHi);

  if (flags & C.EV_DELETE) {
    map.delete(fd);
    if (!kn.enabled) return fdError(fd);
    const r = ctl(ep, EPOLL_CTL_DEL, fd, 0);
    return r < 0 ? -r : 0;   // ENOENT: the fd was closed and its number reused; BSD had dropped it already
  }

  const want = wantsEnabled(flags, kn.enabled);
  let r: number;
  if (kn.enabled) r = want ? ctl(ep, EPOLL_CTL_MOD, fd, fdInterest(filter, kn.flags), kn.gen) : ctl(ep, EPOLL_CTL_DEL, fd, 0);
  else r = want ? addOrMod(ep, fd, fdInterest(filter, kn.flags), kn.gen) : -fdError(fd);
  if (r === -C.EBADF || r === -C.ENOENT) {
    map.delete(fd);
    // A re-add for a reused number replaces the stale knote with a new one.
    if (r === -C.ENOENT && (flags & C.EV_ADD)) return addFd(kq, map, ep, filter, fd, flags, fflags, dataLo, dataHi, udataLo, udataHi);
    return -r;
  }
  if (r < 0) return -r;
  kn.enabled = want;
  // Every change but a delete updates udata and the saved fflags/data (kqueue_register).
  kn.udataLo = udataLo; kn.udataHi = udataHi;
  kn.sfflags = fflags; kn.sdataLo = dataLo; kn.sdataHi = dataHi;
  return 0;
}

function addFd(kq: UKqueue, map: Map<number, Knote>, ep: number, filter: number, fd: number, flags: number,
               fflags: number, dataLo: number, dataHi: number, udataLo: number, udataHi: number): number {
  if (!(flags & C.EV_ADD)) return fdError(fd) || C.ENOENT;
  if (kq.owns(fd)) return C.EINVAL;   // BSD refuses a kqueue watching itself
  const kept = flags & ~EV_ACTIONS;
  const enabled = wantsEnabled(flags, true);
  const gen = kq.nextGen();
  const r = enabled ? addOrMod(ep, fd, fdInterest(filter, kept), gen) : -fdError(fd);
  if (r < 0) return -r;
  const kn = new Knote(filter, fd, fd, 0, kept, udataLo, udataHi, fflags, dataLo, dataHi, -1);
  kn.enabled = enabled;
  kn.gen = gen;
  map.set(fd, kn);
  return 0;
}

function applyUser(kq: UKqueue, identLo: number, identHi: number, flags: number, fflags: number,
                   dataLo: number, dataHi: number, udataLo: number, udataHi: number): number {
  const ident = identHi * TWO32 + identLo;
  const kn = kq.users.get(ident);
  if (kn === undefined) {
    if (!(flags & C.EV_ADD)) return C.ENOENT;
    const efd = own(E.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (efd < 0) return -efd;
    const enabled = wantsEnabled(flags, true);
    const r = ctl(kq.fd, EPOLL_CTL_ADD, efd, enabled ? EPOLLIN : 0);
    if (r < 0) { closeOwned(efd); return -r; }
    const created = new Knote(C.EVFILT_USER, ident, identLo, identHi, flags & ~EV_ACTIONS, udataLo, udataHi,
      fflags & NOTE_FFLAGSMASK, dataLo, dataHi, efd);
    created.enabled = enabled;
    kq.users.set(ident, created);
    kq.usersByEfd.set(efd, created);
    // macOS and libkqueue trigger on EV_ADD|NOTE_TRIGGER; so does this.
    if (fflags & C.NOTE_TRIGGER) eventfdSignal(efd);
    return 0;
  }

  if (flags & C.EV_DELETE) { dropUserKnote(kq, kn); return 0; }

  kn.udataLo = udataLo; kn.udataHi = udataHi;
  if (fflags & C.NOTE_TRIGGER) eventfdSignal(kn.efd);
  const user = fflags & NOTE_FFLAGSMASK;
  switch ((fflags & NOTE_FFCTRLMASK) >>> 0) {
    case NOTE_FFAND: kn.sfflags &= user; break;
    case NOTE_FFOR: kn.sfflags |= user; break;
    case NOTE_FFCOPY: kn.sfflags = user; break;
    default: break;   // NOTE_FFNOP
  }
  kn.sdataLo = dataLo; kn.sdataHi = dataHi;
  // EV_CLEAR in a change un-triggers the knote (filt_usertouch), after any NOTE_TRIGGER in it.
  if (flags & C.EV_CLEAR) eventfdDrain(kn.efd);
  const want = wantsEnabled(flags, kn.enabled);
  if (want !== kn.enabled) {
    const r = ctl(kq.fd, EPOLL_CTL_MOD, kn.efd, want ? EPOLLIN : 0);
    if (r < 0) return -r;
    kn.enabled = want;
  }
  return 0;
}

export function dropUserKnote(kq: UKqueue, kn: Knote): void {
  kq.users.delete(kn.ident);
  kq.usersByEfd.delete(kn.efd);
  ctl(kq.fd, EPOLL_CTL_DEL, kn.efd, 0);
  closeOwned(kn.efd);
}
