// Go's syscall.RawConn (net/rawconn.go, os/rawconn.go): the caller's own
// system calls on a descriptor, under the poller. control runs fn while the
// descriptor is held open; read and write call fn until it returns true,
// parking for readiness between attempts, with the FD's lock, deadlines and
// close. Errors come back in the owner's shape (OpError, PathError) with
// Go's op names raw-control, raw-read and raw-write.
import type { FD } from './fd.ts';

export interface RawConn {
  /** Calls fn(fd) with the descriptor held open; returns what fn returns. */
  control<T>(fn: (fd: number) => T): T;
  /** Calls fn(fd) until it returns true, waiting for readability between calls (false: your syscall said EAGAIN). */
  read(fn: (fd: number) => boolean, signal?: AbortSignal): Promise<void>;
  /** As read, waiting for writability. */
  write(fn: (fd: number) => boolean, signal?: AbortSignal): Promise<void>;
}

/** Shapes an error of a raw operation: (op, cause, signal) → what the caller throws. */
export type RawErrorWrapper = (op: 'raw-control' | 'raw-read' | 'raw-write', e: unknown, signal?: AbortSignal) => unknown;

/**
 * A RawConn over fd.
 * @example
 * const rc = rawConnOf(conn.fd);
 * await rc.read((sysfd) => (n = recv(sysfd, buf, buf.length, MSG_PEEK)) !== -EAGAIN);
 */
export function rawConnOf(fd: FD, wrap: RawErrorWrapper = (_op, e) => e): RawConn {
  return {
    control<T>(fn: (sysfd: number) => T): T {
      try {
        return fd.rawControl(fn);
      } catch (e) {
        throw wrap('raw-control', e);
      }
    },
    read(fn: (sysfd: number) => boolean, signal?: AbortSignal): Promise<void> {
      return fd.rawRead(fn, signal).catch((e: unknown) => { throw wrap('raw-read', e, signal); });
    },
    write(fn: (sysfd: number) => boolean, signal?: AbortSignal): Promise<void> {
      return fd.rawWrite(fn, signal).catch((e: unknown) => { throw wrap('raw-write', e, signal); });
    },
  };
}
