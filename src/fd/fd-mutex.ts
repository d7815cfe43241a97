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

export class FdMutex {
  private isClosed = false;
  private refs = 0;
  private rlocked = false;
  private wlocked = false;
  // Made on first contention: an uncontended descriptor keeps no arrays.
  private rq: LockWaiter[] | null = null;
  private wq: LockWaiter[] | null = null;

  get closed(): boolean { return this.isClosed; }
  /** References held (each lock holds one). */
  get refCount(): number { return this.refs; }
  get readWaiters(): number { return this.rq?.length ?? 0; }
  get writeWaiters(): number { return this.wq?.length ?? 0; }

  /** A reference for a misc operation; false when closed. */
  incref(): boolean {
    if (this.isClosed) return false;
    if (this.refs >= MUTEX_MAX) throw overflow();
    this.refs++;
    return true;
  }

  /**
   * Marks closed and takes a reference; every queued waiter is released
   * and fails. False when already closed.
   */
  increfAndClose(): boolean {
    if (this.isClosed) return false;
    if (this.refs >= MUTEX_MAX) throw overflow();
    this.isClosed = true;
    this.refs++;
    for (const q of [this.rq, this.wq]) {
      if (q === null) continue;
      const ws = q.splice(0);
      for (const w of ws) w.settle(false);
    }
    return true;
  }

  /** Drops a reference; true when that left it closed and unreferenced (run destroy). */
  decref(): boolean {
    if (this.refs === 0) throw inconsistent();
    this.refs--;
    return this.isClosed && this.refs === 0;
  }

  /** The read (or write) lock is free now: tryRWLock would take it. */
  isFree(read: boolean): boolean {
    return !this.isClosed && !(read ? this.rlocked : this.wlocked);
  }

  /** Takes the read (or write) lock and a reference if free, synchronously. */
  tryRWLock(read: boolean): TryLock {
    if (this.isClosed) return CLOSED;
    if (read ? this.rlocked : this.wlocked) return BUSY;
    if (this.refs >= MUTEX_MAX) throw overflow();
    if (read) this.rlocked = true; else this.wlocked = true;
    this.refs++;
    return LOCKED;
  }

  /**
   * Takes the lock, queueing behind the holder and earlier waiters.
   * Resolves true with the lock held, false when the mutex was closed;
   * rejects with the signal's reason when aborted while queued.
   */
  rwlock(read: boolean, signal?: AbortSignal): Promise<boolean> {
    const q = read ? (this.rq ??= []) : (this.wq ??= []);
    if (q.length === 0) {
      const s = this.tryRWLock(read);
      if (s !== BUSY) return Promise.resolve(s === LOCKED);
    } else if (this.isClosed) {
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
    if (!(read ? this.rlocked : this.wlocked) || this.refs === 0) throw inconsistent();
    const q = read ? this.rq : this.wq;
    if (q !== null && q.length !== 0) { q.shift()!.settle(true); return false; }
    if (read) this.rlocked = false; else this.wlocked = false;
    this.refs--;
    return this.isClosed && this.refs === 0;
  }
}
