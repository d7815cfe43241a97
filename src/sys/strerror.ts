// The C library's own message for an errno, as `strerror(3)` gives it.
import { libc } from './libc-handle.ts';

const strerrorC = libc.func('const char *strerror(int errnum)');

export function strerror(errno: number): string {
  return strerrorC(errno) as string;
}
