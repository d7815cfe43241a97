// Rebuilding an inner epoll without the entries of closed files.
//
// A file closed under one number but still open elsewhere keeps its inner
// epoll entry (epoll forgets an entry only with the open file itself), and
// no epoll_ctl can reach it: the number now names another file, or none.
// Its events are filtered out by generation (harvest.ts); this drops the
// entry itself, so that a level-triggered one cannot keep the inner epoll
// ready forever, by moving every live knote to a fresh epoll and closing
// the old one, which takes the stale entries with it.
import { C, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLLIN } from '../constants.ts';
import { closeOwned, own } from '../thread-end.ts';
import { fdInterest } from './changes.ts';
import { ctl, E } from './epoll-ops.ts';
import type { UKqueue } from './kq-table.ts';

export function rebuildInner(kq: UKqueue, filter: number): void {
  const reads = filter === C.EVFILT_READ;
  const map = reads ? kq.reads : kq.writes;
  const old = reads ? kq.readEp : kq.writeEp;
  const ep = own(E.epollCreate1(EPOLL_CLOEXEC));
  if (ep < 0) return;   // keep the old one: stale events are still filtered out
  for (const [fd, kn] of map) {
    if (!kn.enabled) continue;
    const interest = fdInterest(filter, kn.flags);
    // epoll keys an entry by (open file, number): adding the number to the
    // old epoll answers EEXIST only while it still names the knote's file.
    // Anything else means that file was closed, and BSD dropped the knote then.
    const r = ctl(old, EPOLL_CTL_ADD, fd, interest, kn.gen);
    if (r !== -C.EEXIST) {
      if (r === 0) ctl(old, EPOLL_CTL_DEL, fd, 0);
      map.delete(fd);
      continue;
    }
    if (ctl(ep, EPOLL_CTL_ADD, fd, interest, kn.gen) < 0) map.delete(fd);
  }
  if (ctl(kq.fd, EPOLL_CTL_ADD, ep, EPOLLIN) < 0) { closeOwned(ep); return; }
  ctl(kq.fd, EPOLL_CTL_DEL, old, 0);
  closeOwned(old);
  if (reads) kq.readEp = ep; else kq.writeEp = ep;
}
