// The user-space kqueues of this JavaScript thread, keyed by their descriptor.
//
// A ukqueue is three epolls: the outer one is the descriptor handed out (so
// it can be watched by libuv or waited on by another thread), and it holds,
// level-triggered, one inner epoll per fd filter plus one eventfd per
// EVFILT_USER knote. Per-filter inner epolls let one fd have a read knote
// and a write knote with different EV_CLEAR/EV_ONESHOT/EV_DISABLE states.
//
// The table lives in this isolate's memory: kevent() on a kq must be called
// from the thread that created it. Other threads may poll the kq descriptor
// or trigger a user knote through its eventfd (ukqueueUserEventFd).
import type { Knote } from './knote.ts';

export class UKqueue {
  readonly reads = new Map<number, Knote>();
  readonly writes = new Map<number, Knote>();
  readonly users = new Map<number, Knote>();
  /** User knotes by their eventfd: the outer epoll's data is the eventfd. */
  readonly usersByEfd = new Map<number, Knote>();
  /** Where the harvest starts among the outer epoll's ready sources, so no source starves another. */
  rotor = 0;
  /** The generation of the last fd knote made: the high half of its inner epoll entry's data. */
  gen = 0;
  /** Set when an inner epoll reported an entry of a closed file (stale): rebuilt after the harvest. */
  staleReads = false;
  staleWrites = false;
  constructor(readonly fd: number, public readEp: number, public writeEp: number) {}

  /** A generation for a new fd knote (never 0, the data of entries made before generations). */
  nextGen(): number {
    this.gen = this.gen === 0xffffffff ? 1 : this.gen + 1;
    return this.gen;
  }

  /** Descriptors that belong to the kqueue itself and cannot be watched by it. */
  owns(fd: number): boolean {
    return fd === this.fd || fd === this.readEp || fd === this.writeEp;
  }
}

export const kqueues = new Map<number, UKqueue>();
