// Linux descriptors that deliver records instead of a byte stream: eventfd,
// timerfd, inotify and signalfd. Each call returns its result or -errno.
// Every descriptor made here is non-blocking and close-on-exec.
import { checkFd, checkRange } from './bounds.ts';
import { C, SIG_BLOCK, SIG_UNBLOCK } from './constants.ts';
import { fn, orErrno as r, type Fn } from './libc-handle.ts';
import { IS_LINUX } from './platform.ts';

interface LinuxFdCalls {
  eventfd: Fn; timerfdCreate: Fn; timerfdSettime: Fn; inotifyInit1: Fn; inotifyAddWatch: Fn; inotifyRmWatch: Fn;
  signalfd: Fn; pthreadSigmask: Fn; raise: Fn;
}

let calls: LinuxFdCalls | null = null;
/** The bindings, made on first use; a clear error off Linux. */
function linux(what: string): LinuxFdCalls {
  if (!IS_LINUX) throw new Error(`netpoll: ${what} exists only on Linux`);
  return calls ??= {
    eventfd: fn('int eventfd(unsigned int initval, int flags)'),
    timerfdCreate: fn('int timerfd_create(int clockid, int flags)'),
    timerfdSettime: fn('int timerfd_settime(int fd, int flags, const void *new_value, void *old_value)'),
    inotifyInit1: fn('int inotify_init1(int flags)'),
    inotifyAddWatch: fn('int inotify_add_watch(int fd, const char *pathname, uint32_t mask)'),
    inotifyRmWatch: fn('int inotify_rm_watch(int fd, int wd)'),
    signalfd: fn('int signalfd(int fd, const void *mask, int flags)'),
    pthreadSigmask: fn('int pthread_sigmask(int how, const void *set, void *oldset)'),
    raise: fn('int raise(int sig)'),
  };
}

const FLAGS = (): number => C.O_NONBLOCK | C.O_CLOEXEC;

/** eventfd(2): a 64-bit counter; flags may add EFD_SEMAPHORE. */
export function eventfd(initval: number, flags = 0): number {
  if (!Number.isInteger(initval) || initval < 0 || initval > 0xffffffff) throw new RangeError(`netpoll: eventfd initial value must be a 32-bit unsigned integer, got ${String(initval)}`);
  return r(linux('eventfd').eventfd(initval, flags | FLAGS()));
}

/** timerfd_create(2) on clockid (CLOCK_MONOTONIC by default). */
export function timerfdCreate(clockid = 1): number {
  return r(linux('timerfd').timerfdCreate(clockid, FLAGS()));
}

const itimerspec = new BigInt64Array(4);
/**
 * timerfd_settime(2): first expiry after valueMs, then every intervalMs
 * (0: once). valueMs 0 disarms. Milliseconds, to the nanosecond.
 */
export function timerfdSettime(fd: number, valueMs: number, intervalMs = 0, flags = 0): number {
  checkFd(fd);
  for (const [name, v] of [['value', valueMs], ['interval', intervalMs]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`netpoll: timerfd ${name} must be a finite number of ms >= 0, got ${String(v)}`);
  }
  const ns = (ms: number): bigint => BigInt(Math.round(ms * 1e6));
  const iv = ns(intervalMs), vv = ns(valueMs);
  itimerspec[0] = iv / 1_000_000_000n; itimerspec[1] = iv % 1_000_000_000n;
  itimerspec[2] = vv / 1_000_000_000n; itimerspec[3] = vv % 1_000_000_000n;
  return r(linux('timerfd').timerfdSettime(fd, flags, itimerspec, null));
}

/** inotify_init1(2). */
export function inotifyInit(): number {
  return r(linux('inotify').inotifyInit1(FLAGS()));
}

/** inotify_add_watch(2): the watch descriptor or -errno. */
export function inotifyAddWatch(fd: number, path: string, mask: number): number {
  checkFd(fd);
  if (typeof path !== 'string' || path === '' || path.includes('\0')) throw new TypeError('netpoll: inotify needs a non-empty path without NUL bytes');
  return r(linux('inotify').inotifyAddWatch(fd, path, mask >>> 0));
}

export function inotifyRmWatch(fd: number, wd: number): number {
  checkFd(fd);
  return r(linux('inotify').inotifyRmWatch(fd, wd));
}

// glibc's sigset_t is 1024 bits; the kernel reads the first 64.
function sigset(signals: readonly number[]): BigUint64Array {
  const set = new BigUint64Array(16);
  for (const s of signals) {
    if (!Number.isInteger(s) || s < 1 || s > 64) throw new RangeError(`netpoll: not a signal number: ${String(s)}`);
    set[0] = set[0]! | (1n << BigInt(s - 1));
  }
  return set;
}

/** signalfd(2) for these signal numbers (a new descriptor). */
export function signalfd(signals: readonly number[]): number {
  return r(linux('signalfd').signalfd(-1, sigset(signals), FLAGS()));
}

/**
 * Blocks (or unblocks) signals for the calling thread only (pthread_sigmask),
 * so they stay pending for a signalfd instead of running a handler.
 */
export function threadSigmask(block: boolean, signals: readonly number[]): number {
  const e = linux('signalfd').pthreadSigmask(block ? SIG_BLOCK : SIG_UNBLOCK, sigset(signals), null);
  // pthread_sigmask returns the error number itself.
  return e > 0 ? -e : e;
}

/** raise(3): sends sig to the calling thread. */
export function raiseSignal(sig: number): number {
  return r(linux('signal').raise(sig));
}

/** Reads a little-endian u64 record (eventfd, timerfd) from buf. */
export function u64At(buf: Uint8Array, offset = 0): bigint {
  checkRange(buf, offset, 8);
  return new DataView(buf.buffer, buf.byteOffset + offset, 8).getBigUint64(0, true);
}
