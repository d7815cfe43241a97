import { errnoName } from './errno.ts';
import { strerror } from './strerror.ts';

/** A failed system call: `code` is the errno name (EBADF), `errno` its number. */
export class SyscallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;

  constructor(syscall: string, errno: number) {
    const code = errnoName(errno);
    super(`${syscall}: ${code} (${strerror(errno)})`);
    this.name = 'SyscallError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** Throws a SyscallError when a raw result (n or -errno) is negative. */
export function check(syscall: string, r: number): number {
  if (r < 0) throw new SyscallError(syscall, -r);
  return r;
}
