// The running process itself: libc's symbols (and Node's exported libuv
// ones) are already loaded into it, so no library name per OS is needed.
import koffi from 'koffi';
import { hook } from './faults.ts';

export const libc: ReturnType<typeof koffi.load> = koffi.load(null as unknown as string);

export type Fn = (...args: unknown[]) => number;
/** A libc function from its C prototype (behind the test-only fault mix when NETPOLL_FAULTS is set). */
export const fn = (proto: string): Fn => hook(proto, libc.func(proto) as Fn);

const errno = koffi.errno;
/** A raw C result as the project's convention: n, or -errno when it failed. */
export function orErrno(n: number): number {
  return n < 0 ? -errno() : n;
}
