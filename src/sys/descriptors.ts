// Descriptor flags: every descriptor the library creates is close-on-exec and
// non-blocking, set atomically where the OS allows and by fcntl otherwise.
import { C } from './constants.ts';
import { fcntl, pipe2 } from './libc.ts';
import { OS_NAME } from './platform.ts';
import { check } from './syscall-error.ts';

export function setCloseOnExec(fd: number): void {
  check('fcntl', fcntl(fd, C.F_SETFD, C.FD_CLOEXEC));
}

export function setNonblock(fd: number, on = true): void {
  const fl = check('fcntl', fcntl(fd, C.F_GETFL, 0));
  const next = on ? fl | C.O_NONBLOCK : fl & ~C.O_NONBLOCK;
  if (next !== fl) check('fcntl', fcntl(fd, C.F_SETFL, next));
}

/** A non-blocking, close-on-exec pipe: [readEnd, writeEnd]. */
export function nonblockingPipe(): [number, number] {
  const fds = new Int32Array(2);
  check('pipe', pipe2(fds, C.O_NONBLOCK | C.O_CLOEXEC));
  const rd = fds[0]!, wr = fds[1]!;
  // macOS has no pipe2: its pipe() fallback sets no flags.
  if (OS_NAME === 'darwin') for (const fd of [rd, wr]) { setCloseOnExec(fd); setNonblock(fd); }
  return [rd, wr];
}
