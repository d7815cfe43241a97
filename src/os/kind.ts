// What a descriptor is, and Go's rule for whether it goes on the poller
// (os/file_unix.go newFile): pipes, FIFOs, sockets, terminals and character
// devices do; regular files and directories never do (epoll refuses them on
// Linux, and kqueue reports a regular file always ready on FreeBSD), nor do
// FIFOs on macOS, whose kqueue misses the last writer's close.
import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';
import { OS_NAME, type OS } from '../sys/platform.ts';

/**
 * 'other' is a descriptor with no file type: Linux's anonymous inodes
 * (eventfd, timerfd, signalfd, inotify, epoll).
 */
export type FileKind = 'file' | 'directory' | 'fifo' | 'socket' | 'tty' | 'char' | 'block' | 'symlink' | 'other';

/**
 * The kind of an open descriptor (fstat, and isatty for terminals).
 * @example kindOf(0) // 'tty' in a terminal, 'fifo' under a pipe
 */
export function kindOf(fd: number): FileKind {
  const st = fstatSync(fd);
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return isatty(fd) ? 'tty' : 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/**
 * Go's rule: may this kind be put on the poller? False sends its reads and
 * writes to Node's thread pool instead, where a blocking call cannot stall
 * the loop. (A kind that says true may still be refused by the kernel, as
 * /dev/null is by epoll; that descriptor goes to the pool too.)
 */
export function pollableKindOn(os: OS, kind: FileKind): boolean {
  switch (kind) {
    case 'file': case 'directory': case 'block': case 'symlink':
      return false;
    case 'fifo':
      return os !== 'darwin';
    default:
      return true;
  }
}

export function pollableKind(kind: FileKind): boolean {
  return pollableKindOn(OS_NAME, kind);
}
