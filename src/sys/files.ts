// File and terminal system calls beyond read/write: positioned I/O, dup, and
// pseudo-terminals. Each returns its result or -errno, like libc.ts; callers
// check bounds (bounds.ts) before any call that lets the kernel write memory.
import { checkFd, checkRange } from './bounds.ts';
import { C } from './constants.ts';
import { fn, orErrno as r } from './libc-handle.ts';
import { close, fcntl } from './libc.ts';
import { IS_LINUX, OS_NAME } from './platform.ts';

/** O_RDWR: 2 on every supported OS. */
const O_RDWR = 2;

const preadC = fn('intptr_t pread(int fd, void *buf, size_t count, int64_t offset)');
const pwriteC = fn('intptr_t pwrite(int fd, const void *buf, size_t count, int64_t offset)');
const posixOpenptC = fn('int posix_openpt(int flags)');
const grantptC = fn('int grantpt(int fd)');
const unlockptC = fn('int unlockpt(int fd)');
// ptsname_r where libc has it (glibc, FreeBSD 13+); ptsname's static buffer elsewhere.
const ptsnameRC = IS_LINUX || OS_NAME === 'freebsd' ? fn('int ptsname_r(int fd, _Out_ char *buf, size_t buflen)') : null;
const ptsnameC = fn('const char *ptsname(int fd)');

/** pread(2): count bytes at file offset `position` into buf[offset..]; n or -errno (ESPIPE on a pipe or socket). */
export function pread(fd: number, buf: Uint8Array, offset: number, count: number, position: number): number {
  checkFd(fd);
  checkRange(buf, offset, count);
  checkPosition(position);
  const b = offset === 0 ? buf : buf.subarray(offset, offset + count);
  return r(preadC(fd, b, count, position));
}

/** pwrite(2): count bytes of buf[offset..] at file offset `position`; n or -errno. */
export function pwrite(fd: number, buf: Uint8Array, offset: number, count: number, position: number): number {
  checkFd(fd);
  checkRange(buf, offset, count);
  checkPosition(position);
  const b = offset === 0 ? buf : buf.subarray(offset, offset + count);
  return r(pwriteC(fd, b, count, position));
}

/** A file offset: a non-negative safe integer. */
export function checkPosition(position: number): void {
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new RangeError(`netpoll: position must be a non-negative integer, got ${String(position)}`);
  }
}

/** A close-on-exec duplicate of fd (F_DUPFD_CLOEXEC); the new fd or -errno. It shares fd's file status flags (O_NONBLOCK). */
export function dupCloexec(fd: number): number {
  checkFd(fd);
  return r(fcntl(fd, C.F_DUPFD_CLOEXEC, 0));
}

/** The file status flags (F_GETFL) or -errno. */
export function getfl(fd: number): number {
  checkFd(fd);
  return r(fcntl(fd, C.F_GETFL, 0));
}

/**
 * A new pseudo-terminal master (posix_openpt(O_RDWR|O_NOCTTY), then grantpt
 * and unlockpt) and the path of its other end; -errno on failure (the master
 * is closed then).
 */
export function openPtyMaster(): { master: number; path: string } | number {
  const m = r(posixOpenptC(O_RDWR | C.O_NOCTTY));
  if (m < 0) return m;
  let e = r(grantptC(m));
  if (e >= 0) e = r(unlockptC(m));
  let path = '';
  if (e >= 0) {
    if (ptsnameRC !== null) {
      const buf = Buffer.alloc(128);
      e = ptsnameRC(m, buf, buf.length);
      // ptsname_r returns the error number itself, not -1 and errno.
      if (e > 0) e = -e;
      else path = buf.toString('latin1', 0, buf.indexOf(0));
    } else {
      const p = ptsnameC(m) as unknown as string | null;
      if (p === null) e = r(-1);
      else path = p;
    }
  }
  if (e < 0) {
    close(m);
    return e;
  }
  return { master: m, path };
}
