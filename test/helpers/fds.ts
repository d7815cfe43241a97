// Real descriptors for tests: pipes, socketpairs, and what the process has open.
import { readdirSync, readlinkSync } from 'node:fs';
import { C } from '../../src/sys/constants.ts';
import { nonblockingPipe, setCloseOnExec } from '../../src/sys/descriptors.ts';
import { close, fcntl, read, write } from '../../src/sys/libc.ts';
import { socketpair } from '../../src/sys/socket.ts';
import { check } from '../../src/sys/syscall-error.ts';

export { nonblockingPipe as pipe, close as closeRaw };

/** A connected AF_UNIX pair, non-blocking and close-on-exec. */
export function socketPair(type = C.SOCK_STREAM): [number, number] {
  const sv = new Int32Array(2);
  check('socketpair', socketpair(C.AF_UNIX, type, 0, sv));
  return [sv[0]!, sv[1]!];
}

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** The descriptors open now. */
export function openFds(): Set<number> {
  return new Set(readdirSync('/proc/self/fd').map(Number));
}

/**
 * Pipes, sockets and anonymous inodes (epoll, eventfd) open now that were
 * not open at `before`. A count would be fooled by descriptors of earlier
 * tests that close meanwhile (a worker thread's pipes close when it exits),
 * and files by a worker thread still loading its modules.
 */
export function fdsOpenedSince(before: Set<number>): string[] {
  const out: string[] = [];
  for (const fd of openFds()) {
    if (before.has(fd)) continue;
    let target: string;
    try { target = readlinkSync(`/proc/self/fd/${fd}`); } catch { continue; } // readdir's own descriptor, gone
    if (!target.startsWith('/')) out.push(`${fd} ${target}`);
  }
  return out;
}

export function fdIsOpen(fd: number): boolean {
  return fcntl(fd, C.F_GETFD, 0) >= 0;
}

export function isNonblockCloexec(fd: number): boolean {
  const fl = fcntl(fd, C.F_GETFL, 0), fdfl = fcntl(fd, C.F_GETFD, 0);
  return fl >= 0 && (fl & C.O_NONBLOCK) !== 0 && fdfl >= 0 && (fdfl & C.FD_CLOEXEC) !== 0;
}

export function writeStr(fd: number, s: string): number {
  const b = Buffer.from(s);
  return write(fd, b, b.length);
}

export function readAll(fd: number): string {
  const b = Buffer.alloc(65536);
  let out = '';
  for (;;) {
    const n = read(fd, b, b.length);
    if (n <= 0) return out;
    out += b.toString('latin1', 0, n);
  }
}

export function closeAll(...fds: number[]): void {
  for (const fd of fds) close(fd);
}

/**
 * A new connected socket pair whose first end has the number `fd`, which
 * the caller has just closed (F_DUPFD, the same on Linux and the BSDs,
 * gives the lowest free number from fd: fd itself).
 */
export function socketPairAt(fd: number): [number, number] {
  const [x, y] = socketPair();
  if (x === fd) return [x, y];
  if (y === fd) return [y, x];
  const m = check('fcntl', fcntl(x, 0, fd));
  if (m !== fd) throw new Error(`socketPairAt: number ${fd} is not free (got ${m})`);
  setCloseOnExec(m);
  close(x);
  return [m, y];
}

/** This process's socket-like descriptors ("fd target", targets not under /), to compare before and after. */
export function socketFds(): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try { const t = readlinkSync(`/proc/self/fd/${fd}`); if (!t.startsWith('/')) out.add(`${fd} ${t}`); } catch { /* gone */ }
  }
  return out;
}
