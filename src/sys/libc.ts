// Raw system calls through koffi. Each returns the call's result, or -errno
// when it failed, so the hot path neither throws nor allocates. Callers check
// bounds (bounds.ts) before any call that lets the kernel write into memory.
import { fn, orErrno as r } from './libc-handle.ts';
import { IS_LINUX, OS_NAME } from './platform.ts';
import { libcSymbol } from './symbols.ts';

const readC = fn('intptr_t read(int fd, void *buf, size_t count)');
const writeC = fn('intptr_t write(int fd, const void *buf, size_t count)');
const closeC = fn('int close(int fd)');
// fcntl and ioctl are variadic in C; declared so, since Apple's arm64 ABI
// passes variadic arguments on the stack, not in registers.
const fcntlC = fn('int fcntl(int fd, int cmd, ...)');
const ioctlC = fn('int ioctl(int fd, unsigned long request, ...)');
const pipeC = fn('int pipe(_Out_ int *fds)');
const pipe2C = OS_NAME === 'darwin' ? null : fn('int pipe2(_Out_ int *fds, int flags)');

export function read(fd: number, buf: ArrayBufferView, count: number): number { return r(readC(fd, buf, count)); }
export function write(fd: number, buf: ArrayBufferView, count: number): number { return r(writeC(fd, buf, count)); }
export function close(fd: number): number { return r(closeC(fd)); }
export function fcntl(fd: number, cmd: number, arg: number): number { return r(fcntlC(fd, cmd, 'int', arg)); }

const intOut = new Int32Array(1);
/** ioctl with an int out-argument (FIONREAD); returns the int, or -errno. */
export function ioctlInt(fd: number, request: number): number {
  intOut[0] = 0;
  const n = r(ioctlC(fd, request, '_Inout_ int *', intOut));
  return n < 0 ? n : intOut[0]!;
}

/** pipe2 where the OS has it, else pipe; fds[0] is the read end. */
export function pipe2(fds: Int32Array, flags: number): number {
  if (pipe2C) return r(pipe2C(fds, flags));
  return r(pipeC(fds));
}

// Linux only.
export interface EpollCalls {
  epollCreate1(flags: number): number;
  epollCtl(epfd: number, op: number, fd: number, event: ArrayBufferView | null): number;
  epollWait(epfd: number, events: ArrayBufferView, maxEvents: number, timeoutMs: number): number;
  eventfd(initval: number, flags: number): number;
}
function makeEpoll(): EpollCalls {
  const create = fn('int epoll_create1(int flags)');
  const ctl = fn('int epoll_ctl(int epfd, int op, int fd, void *event)');
  const wait = fn('int epoll_wait(int epfd, void *events, int maxevents, int timeout)');
  const efd = fn('int eventfd(unsigned int initval, int flags)');
  return {
    epollCreate1: (flags) => r(create(flags)),
    epollCtl: (epfd, op, fd, event) => r(ctl(epfd, op, fd, event)),
    epollWait: (epfd, events, max, timeout) => r(wait(epfd, events, max, timeout)),
    eventfd: (initval, flags) => r(efd(initval, flags)),
  };
}
export const epoll: EpollCalls | null = IS_LINUX ? makeEpoll() : null;

// The BSDs and macOS: the kernel's kqueue.
export interface KqueueCalls {
  kqueue(): number;
  /** timeout: a 16-byte struct timespec, or null to block. */
  kevent(kq: number, changes: ArrayBufferView | null, nchanges: number,
         events: ArrayBufferView | null, nevents: number, timeout: ArrayBufferView | null): number;
  /** Closes the kqueue and anything it owns. */
  closeKqueue(kq: number): number;
}
function makeKqueue(): KqueueCalls {
  const kq = fn('int kqueue(void)');
  const ke = fn(`int ${libcSymbol('kevent')}(int kq, const void *changelist, int nchanges, void *eventlist, int nevents, const void *timeout)`);
  return {
    kqueue: () => r(kq()),
    kevent: (q, ch, nch, ev, nev, ts) => r(ke(q, ch, nch, ev, nev, ts)),
    closeKqueue: (q) => r(closeC(q)),
  };
}
export const kernelKqueue: KqueueCalls | null = IS_LINUX ? null : makeKqueue();
