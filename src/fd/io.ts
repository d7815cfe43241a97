// The system-call loops every descriptor path shares: FD's operations and
// serve()'s connections both go through these, so EINTR, short writes,
// "write returned 0", the writev cursor and disarm-then-close are written
// once (Go's ignoringEINTRIO, FD.Write's loop, writev.go's consume, destroy).
// Each returns the kernel's answer as a number (n, or -errno); none parks
// and none allocates on success.
import type { PollDesc } from '../netpoll/index.ts';
import { C } from '../sys/constants.ts';
import { read as sysRead, write as sysWrite } from '../sys/libc.ts';
import { closeOwned } from '../sys/thread-end.ts';
import { SIZEOF_SOCKADDR_STORAGE } from '../sys/sockaddr.ts';
import * as sock from '../sys/socket.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { UnexpectedEOFError } from './errors.ts';

/** Go's maxRW: stream reads and writes move at most 1 GiB per syscall. */
export const MAX_RW = 1 << 30;

/** Bytes one read(2)/write(2) may move: n, capped at MAX_RW for streams. */
export function rwChunk(n: number, isStream: boolean): number {
  return n > MAX_RW && isStream ? MAX_RW : n;
}

const EINTR = -C.EINTR, ECONNABORTED = -C.ECONNABORTED;
export const EAGAIN = -C.EAGAIN;
/** send(2) on something that is not a socket: write(2) from then on. */
export const ENOTSOCK = -sock.ENOTSOCK;
/** writeSome's stop reason for a write(2) that returned 0 with no error. */
export const WROTE_ZERO = 1;

/**
 * Why the last writeSome stopped: 0 all written, EAGAIN, WROTE_ZERO,
 * ENOTSOCK (from send: retry with write), or another -errno. A module
 * variable rather than a second return value: no object per write.
 */
export let stop = 0;

/** read(2) of at most length bytes into b, EINTR retried: n or -errno. */
export function readOnce(fd: number, b: Uint8Array, length: number): number {
  let n: number;
  do n = sysRead(fd, b, length); while (n === EINTR);
  return n;
}

/**
 * One write of count bytes from b (send with MSG_NOSIGNAL, or write(2) for
 * a pipe or a file), EINTR retried: n or -errno. Go panics on a count the
 * kernel cannot have written (a libc bug); so does this.
 */
export function writeOnce(fd: number, b: Uint8Array, count: number, viaWrite: boolean): number {
  let n: number;
  if (viaWrite) {
    do n = sysWrite(fd, b, count); while (n === EINTR);
  } else {
    do n = sock.send(fd, b, count); while (n === EINTR);
  }
  if (n > count) throw new Error(`netpoll: invalid return from write: got ${n} from a write of ${count}`);
  return n;
}

/**
 * Writes buf[offset+nn .. offset+length) until all of it went, EAGAIN or an
 * error (Go's FD.Write loop): returns the new nn, the reason in `stop`. An
 * empty write still makes one 0-byte system call, as Go's does.
 */
export function writeSome(fd: number, buf: Uint8Array, offset: number, length: number, nn: number,
                          isStream: boolean, viaWrite: boolean): number {
  do {
    const off = offset + nn, count = rwChunk(length - nn, isStream);
    const n = writeOnce(fd, off === 0 ? buf : new Uint8Array(buf.buffer, buf.byteOffset + off, count), count, viaWrite);
    if (n > 0) { nn += n; continue; }
    if (n === 0 && length === 0) break;
    stop = n === 0 ? WROTE_ZERO : n;
    return nn;
  } while (nn < length);
  stop = 0;
  return nn;
}

/** The error for a writeSome or writev stop: a write of 0 is Go's io.ErrUnexpectedEOF, everywhere. */
export function writeError(stopped: number, syscall: string): Error {
  return stopped === WROTE_ZERO ? new UnexpectedEOFError() : new SyscallError(syscall, -stopped);
}

/** writev(2) of bufs[i..] (at most maxBytes), EINTR retried: n or -errno. */
export function writevOnce(fd: number, bufs: readonly Uint8Array[], i: number, maxBytes: number): number {
  let n: number;
  do n = sock.writev(fd, bufs, i, maxBytes); while (n === EINTR);
  return n;
}

/** Go's consume: n bytes went from bufs[i..]; drops whole buffers, trims a partial one; returns the new i. */
export function consume(bufs: Uint8Array[], i: number, n: number): number {
  while (n > 0) {
    const b = bufs[i]!;
    if (n >= b.byteLength) { n -= b.byteLength; i++; }
    else { bufs[i] = b.subarray(n); n = 0; }
  }
  return i;
}

// Filled and copied synchronously by one call at a time.
const saBuf = new Uint8Array(SIZEOF_SOCKADDR_STORAGE);
const saLen = new Int32Array(1);

/**
 * accept4(SOCK_NONBLOCK|SOCK_CLOEXEC) with EINTR and ECONNABORTED retried
 * (Go's accept loop): the new descriptor or -errno. The peer's address is
 * then acceptedSockaddr().
 */
export function acceptOnce(fd: number): number {
  let nfd: number;
  do {
    saLen[0] = saBuf.byteLength;
    nfd = sock.accept(fd, saBuf, saLen);
  } while (nfd === EINTR || nfd === ECONNABORTED);
  return nfd;
}

/** The sockaddr of the last acceptOnce, exactly as long as the kernel reported, in a buffer of its own. */
export function acceptedSockaddr(): Uint8Array {
  return saBuf.slice(0, Math.min(saLen[0]!, saBuf.byteLength));
}

/** getsockname(2) or getpeername(2): the address in a buffer of its own, or -errno. */
export function sockname(fd: number, peer: boolean): Uint8Array | number {
  saLen[0] = saBuf.byteLength;
  const r = peer ? sock.getpeername(fd, saBuf, saLen) : sock.getsockname(fd, saBuf, saLen);
  return r < 0 ? r : saBuf.slice(0, Math.min(saLen[0]!, saBuf.byteLength));
}

/** True once a connect in progress has a peer (the check after a spurious wake-up, Go issues 14548, 19289). */
export function hasPeer(fd: number): boolean {
  saLen[0] = saBuf.byteLength;
  return sock.getpeername(fd, saBuf, saLen) === 0;
}

/**
 * Go's destroy: the poller forgets the descriptor (pollClose), then
 * close(2). Returns close's 0 or -errno; a Netpoll already shut down is no
 * reason to keep the descriptor open.
 */
export function release(pd: PollDesc | null, fd: number): number {
  if (pd !== null) {
    try {
      pd.closeInHost();
    } catch {
      // The Netpoll was shut down or already forgot the pd: the kernel close below still runs.
    }
  }
  return closeOwned(fd);
}
