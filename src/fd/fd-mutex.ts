// Go's fdMutex (internal/poll/fd_mutex.go) on one thread: a reference count,
// one read lock and one write lock, and a FIFO queue of waiters per lock in
// place of the semaphores. An unlock hands the lock straight to the first
// queued waiter, so waiters are served in order and nobody barges past them.
// The uncontended paths are plain synchronous calls: they are the hot path.

/** Go's 20-bit counters. */
export const MUTEX_MAX = (1 << 20) - 1;

/** tryRWLock results. */
export const LOCKED = 0, CLOSED = 1, BUSY = 2;
export type TryLock = typeof LOCKED | typeof CLOSED | typeof BUSY;

/** Go panics here; a misuse of the mutex is a bug in the caller. */
export class FdMutexError extends Error {
  readonly code = 'ERR_NETPOLL_FDMUTEX';
  constructor(message: string) {
    super(message);
    this.name = 'FdMutexError';
  }
}

const overflow = (): FdMutexError =>
  new FdMutexError(`too many concurrent operations on a single file or socket (max ${MUTEX_MAX})`);
const inconsistent = (): FdMutexError => new FdMutexError('inconsistent poll.fdMutex');

class LockWaiter {
  onAbort: (() => void) | null = null;
  constructor(readonly resolve: (locked: boolean) => void, readonly reject: (e: unknown) => void,
              readonly signal: AbortSignal | undefined) {}
  settle(locked: boolean): void {
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
    this.resolve(locked);
  }
}

// FdMutex.st: the closed and lock bits, and the reference count above them
// (MUTEX_MAX fits in 20 bits, so st stays a small integer).
const MU_CLOSED = 1, MU_RLOCK = 2, MU_WLOCK = 4, MU_REF = 8;

/** The waiter queues, made on first contention: an uncontended descriptor keeps none. */
class Queues {
  r: LockWaiter[] = [];
  w: LockWaiter[] = [];
}

export class FdMutex {
  // One number and one pointer: an idle connection's mutex is as small as it gets.
  private st = 0;
  private qs: Queues | null = null;

  get closed(): boolean { return (this.st & MU_CLOSED) !== 0; }
  /** References held (each lock holds one). */
  get refCount(): number { return this.st >>> 3; }
  get readWaiters(): number { return this.qs?.r.length ?? 0; }
  get writeWaiters(): number { return this.qs?.w.length ?? 0; }

  /** A reference for a misc operation; false when closed. */
  incref(): boolean {
    const st = this.st;
    if ((st & MU_CLOSED) !== 0) return false;
    if ((st >>> 3) >= MUTEX_MAX) throw overflow();
    this.st = st + MU_REF;
    return true;
  }

  /**
   * Marks closed and takes a reference; every queued waiter is released
   * and fails. False when already closed.
   */
  increfAndClose(): boolean {
    const st = this.st;
    if ((st & MU_CLOSED) !== 0) return false;
    if ((st >>> 3) >= MUTEX_MAX) throw overflow();
    this.st = (st | MU_CLOSED) + MU_REF;
    const qs = this.qs;
    if (qs !== null) {
      for (const w of qs.r.splice(0)) w.settle(false);
      for (const w of qs.w.splice(0)) w.settle(false);
    }
    return true;
  }

  /** Drops a reference; true when that left it closed and unreferenced (run destroy). */
  decref(): boolean {
    if ((this.st >>> 3) === 0) throw inconsistent();
    const st = this.st -= MU_REF;
    return (st & MU_CLOSED) !== 0 && (st >>> 3) === 0;
  }

  /** The read (or write) lock is free now: tryRWLock would take it. */
  isFree(read: boolean): boolean {
    return (this.st & (MU_CLOSED | (read ? MU_RLOCK : MU_WLOCK))) === 0;
  }

  /** Takes the read (or write) lock and a reference if free, synchronously. */
  tryRWLock(read: boolean): TryLock {
    const st = this.st;
    if ((st & MU_CLOSED) !== 0) return CLOSED;
    const bit = read ? MU_RLOCK : MU_WLOCK;
    if ((st & bit) !== 0) return BUSY;
    if ((st >>> 3) >= MUTEX_MAX) throw overflow();
    this.st = (st | bit) + MU_REF;
    return LOCKED;
  }

  /**
   * Takes the lock, queueing behind the holder and earlier waiters.
   * Resolves true with the lock held, false when the mutex was closed;
   * rejects with the signal's reason when aborted while queued.
   */
  rwlock(read: boolean, signal?: AbortSignal): Promise<boolean> {
    const qs = this.qs ??= new Queues();
    const q = read ? qs.r : qs.w;
    if (q.length === 0) {
      const s = this.tryRWLock(read);
      if (s !== BUSY) return Promise.resolve(s === LOCKED);
    } else if (this.closed) {
      return Promise.resolve(false);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (q.length >= MUTEX_MAX) throw overflow();
    return new Promise<boolean>((resolve, reject) => {
      const w = new LockWaiter(resolve, reject, signal);
      if (signal) {
        w.onAbort = () => {
          const i = q.indexOf(w);
          if (i < 0) return;
          q.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      q.push(w);
    });
  }

  /**
   * Releases the lock: to the first queued waiter if any (the reference
   * passes with it), else drops it and its reference. True when that left
   * the mutex closed and unreferenced (run destroy).
   */
  rwunlock(read: boolean): boolean {
    const st = this.st, bit = read ? MU_RLOCK : MU_WLOCK;
    if ((st & bit) === 0 || (st >>> 3) === 0) throw inconsistent();
    const qs = this.qs;
    if (qs !== null) {
      const q = read ? qs.r : qs.w;
      if (q.length !== 0) { q.shift()!.settle(true); return false; }
    }
    const left = this.st = (st & ~bit) - MU_REF;
    return (left & MU_CLOSED) !== 0 && (left >>> 3) === 0;
  }
}
