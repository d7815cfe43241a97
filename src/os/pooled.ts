// Reads and writes of a descriptor that is not on the poller (a regular file,
// a directory, a blocking inherited descriptor) run on Node's thread pool,
// where a blocking call stalls one pool thread and never the loop. An fdMutex
// gives them Go's order (one read and one write at a time, in arrival order)
// and lets close wait until no call still uses the descriptor number.
import { close as fsClose, read as fsRead, write as fsWrite } from 'node:fs';
import { UnexpectedEOFError, withBytesWritten } from '../fd/errors.ts';
import { FdMutex, LOCKED, CLOSED } from '../fd/fd-mutex.ts';
import { NetClosingError } from '../netpoll/errors.ts';

type Position = number | null;

function poolRead(fd: number, buf: Uint8Array, offset: number, length: number, position: Position): Promise<number> {
  return new Promise((resolve, reject) => {
    fsRead(fd, buf, offset, length, position, (e, n) => (e ? reject(e) : resolve(n)));
  });
}

function poolWrite(fd: number, buf: Uint8Array, offset: number, length: number, position: Position): Promise<number> {
  return new Promise((resolve, reject) => {
    fsWrite(fd, buf, offset, length, position, (e, n) => (e ? reject(e) : resolve(n)));
  });
}

export class PooledIO {
  private readonly mu = new FdMutex();
  private closeResolve: (() => void) | null = null;
  private closeError: unknown = null;

  constructor(private fd: number) {}

  get closed(): boolean { return this.mu.closed; }
  get sysfd(): number { return this.fd; }

  /** One read(2) (pread(2) at a position) on the pool: the count, 0 at end of file. */
  async read(buf: Uint8Array, offset: number, length: number, position: Position, signal?: AbortSignal): Promise<number> {
    await this.lock(true, signal);
    try {
      return await poolRead(this.fd, buf, offset, length, position);
    } finally {
      this.unlock(true);
    }
  }

  /** Writes all length bytes (at a position, moving on as they go); on failure the error's bytesWritten says how much went. */
  async write(buf: Uint8Array, offset: number, length: number, position: Position, signal?: AbortSignal): Promise<number> {
    let nn = 0;
    try {
      await this.lock(false, signal);
    } catch (e) {
      throw withBytesWritten(e, 0);
    }
    try {
      do {
        const n = await poolWrite(this.fd, buf, offset + nn, length - nn, position === null ? null : position + nn);
        if (n === 0 && length > 0) throw new UnexpectedEOFError();
        nn += n;
      } while (nn < length);
      return nn;
    } catch (e) {
      throw withBytesWritten(e, nn);
    } finally {
      this.unlock(false);
    }
  }

  /** Calls fn with the descriptor while holding a reference (it stays open during the call). */
  control<T>(fn: (fd: number) => T): T {
    if (!this.mu.incref()) throw new NetClosingError('use of closed file');
    try {
      return fn(this.fd);
    } finally {
      if (this.mu.decref()) this.destroy();
    }
  }

  /** Fails queued calls; closes the descriptor once the calls in flight return. A second close throws. */
  close(): Promise<void> {
    if (!this.mu.increfAndClose()) return Promise.reject(new NetClosingError('use of closed file'));
    const p = new Promise<void>((resolve) => { this.closeResolve = resolve; });
    if (this.mu.decref()) this.destroy();
    return p.then(() => { if (this.closeError !== null) throw this.closeError; });
  }

  private async lock(read: boolean, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    const s = this.mu.tryRWLock(read);
    if (s === LOCKED) return;
    if (s === CLOSED || !(await this.mu.rwlock(read, signal))) throw new NetClosingError('use of closed file');
  }

  private unlock(read: boolean): void {
    if (this.mu.rwunlock(read)) this.destroy();
  }

  private destroy(): void {
    const fd = this.fd;
    this.fd = -1;
    fsClose(fd, (e) => {
      if (e) this.closeError = e;
      const r = this.closeResolve;
      this.closeResolve = null;
      r?.();
    });
  }
}
