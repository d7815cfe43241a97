// Socket system calls through koffi. Like libc.ts, each returns its result
// or -errno, so the hot path neither throws nor allocates. Sockaddrs are
// raw bytes (sockaddr.ts encodes and decodes them); calls that fill one
// take the buffer and a one-element Int32Array holding socklen_t in and out.
// Every socket made here is non-blocking and close-on-exec, atomically where
// the OS has SOCK_NONBLOCK/SOCK_CLOEXEC, else by fcntl; on macOS it also
// gets SO_NOSIGPIPE, elsewhere send() carries MSG_NOSIGNAL: no SIGPIPE.
import koffi from 'koffi';
import { checkFd, checkRange } from './bounds.ts';
import { C } from './constants.ts';
import { fn, orErrno as r } from './libc-handle.ts';
import { close, fcntl } from './libc.ts';
import { IS_LINUX, OS_NAME } from './platform.ts';
import { libcSymbol } from './symbols.ts';

// Linux/arm (32-bit) lacks accept4 in older kernels; only x64/arm64 are supported.
const HAS_ACCEPT4 = OS_NAME !== 'darwin';
const HAS_SOCK_FLAGS = C.SOCK_NONBLOCK !== 0;

const socketC = fn(`int ${libcSymbol('socket')}(int domain, int type, int protocol)`);
const socketpairC = fn('int socketpair(int domain, int type, int protocol, _Out_ int *sv)');
const bindC = fn('int bind(int fd, const void *addr, uint32_t len)');
const listenC = fn('int listen(int fd, int backlog)');
const connectC = fn('int connect(int fd, const void *addr, uint32_t len)');
const acceptC = fn('int accept(int fd, void *addr, int *len)');
const accept4C = HAS_ACCEPT4 ? fn('int accept4(int fd, void *addr, int *len, int flags)') : null;
const getsockoptC = fn('int getsockopt(int fd, int level, int name, void *val, int *len)');
const setsockoptC = fn('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)');
const getsocknameC = fn('int getsockname(int fd, void *addr, int *len)');
const getpeernameC = fn('int getpeername(int fd, void *addr, int *len)');
const shutdownC = fn('int shutdown(int fd, int how)');
const sendC = fn('intptr_t send(int fd, const void *buf, size_t len, int flags)');
const recvC = fn('intptr_t recv(int fd, void *buf, size_t len, int flags)');
const pollC = fn('int poll(void *fds, unsigned long nfds, int timeout)');

const iovec = koffi.struct('netpoll_iovec', { iov_base: 'void *', iov_len: 'size_t' });
const readvC = fn('intptr_t readv(int fd, const netpoll_iovec *iov, int iovcnt)');
const writevC = fn('intptr_t writev(int fd, const netpoll_iovec *iov, int iovcnt)');

/** The most iovecs one readv/writev takes (IOV_MAX on every supported OS). */
export const IOV_MAX = 1024;
/** Not in constants.ts: the errno a socket call gives for a non-socket. */
export const ENOTSOCK = IS_LINUX ? 88 : 38;
/** poll(2) events: the same values on Linux, macOS and the BSDs. */
export const POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10;

const EINTR = C.EINTR;

/** Makes fd non-blocking, close-on-exec and (macOS) SIGPIPE-free; closes it and returns -errno on failure. */
function prepare(fd: number, flagsSet: boolean): number {
  if (!flagsSet) {
    let e = r(fcntl(fd, C.F_SETFD, C.FD_CLOEXEC));
    if (e >= 0) {
      const fl = r(fcntl(fd, C.F_GETFL, 0));
      e = fl < 0 ? fl : r(fcntl(fd, C.F_SETFL, fl | C.O_NONBLOCK));
    }
    if (e < 0) { close(fd); return e; }
  }
  if (C.SO_NOSIGPIPE !== 0) {
    const e = setsockoptInt(fd, C.SOL_SOCKET, C.SO_NOSIGPIPE, 1);
    // Not every descriptor accepts it (AF_UNIX on some BSDs): best effort there.
    if (e < 0 && e !== -C.EINVAL) { close(fd); return e; }
  }
  return fd;
}

/** A non-blocking, close-on-exec socket; fd or -errno. */
export function socket(domain: number, type: number, protocol = 0): number {
  if (HAS_SOCK_FLAGS) {
    const fd = r(socketC(domain, type | C.SOCK_NONBLOCK | C.SOCK_CLOEXEC, protocol));
    return fd < 0 ? fd : prepare(fd, true);
  }
  const fd = r(socketC(domain, type, protocol));
  return fd < 0 ? fd : prepare(fd, false);
}

/** A non-blocking, close-on-exec socket pair in sv; 0 or -errno. */
export function socketpair(domain: number, type: number, protocol: number, sv: Int32Array): number {
  if (!(sv instanceof Int32Array) || sv.length < 2) throw new TypeError('netpoll: socketpair needs an Int32Array of 2');
  const flags = HAS_SOCK_FLAGS ? C.SOCK_NONBLOCK | C.SOCK_CLOEXEC : 0;
  const e = r(socketpairC(domain, type | flags, protocol, sv));
  if (e < 0) return e;
  const a = prepare(sv[0]!, HAS_SOCK_FLAGS);
  if (a < 0) { close(sv[1]!); return a; }
  const b = prepare(sv[1]!, HAS_SOCK_FLAGS);
  if (b < 0) { close(sv[0]!); return b; }
  return 0;
}

function checkSockaddr(sa: Uint8Array, length: number): void {
  checkRange(sa, 0, length);
}
function checkSockaddrOut(sa: Uint8Array, len: Int32Array): void {
  if (!(len instanceof Int32Array) || len.length < 1) throw new TypeError('netpoll: socklen must be an Int32Array of 1');
  checkRange(sa, 0, len[0]!);
}

export function bind(fd: number, sa: Uint8Array, length: number): number {
  checkSockaddr(sa, length);
  return r(bindC(fd, sa, length));
}

export function listen(fd: number, backlog: number): number {
  return r(listenC(fd, backlog));
}

/** connect(2) once (EINTR is the caller's to handle: the connect goes on asynchronously). */
export function connect(fd: number, sa: Uint8Array, length: number): number {
  checkSockaddr(sa, length);
  return r(connectC(fd, sa, length));
}

/**
 * accept4(SOCK_NONBLOCK|SOCK_CLOEXEC), or accept plus fcntl on macOS. The
 * peer's sockaddr lands in sa; len[0] is its room in, its length out.
 * Returns the new fd or -errno; EINTR is returned, not retried.
 */
export function accept(fd: number, sa: Uint8Array, len: Int32Array): number {
  checkSockaddrOut(sa, len);
  if (accept4C) {
    const nfd = r(accept4C(fd, sa, len, C.SOCK_NONBLOCK | C.SOCK_CLOEXEC));
    return nfd < 0 ? nfd : prepare(nfd, true);
  }
  const nfd = r(acceptC(fd, sa, len));
  return nfd < 0 ? nfd : prepare(nfd, false);
}

export function getsockname(fd: number, sa: Uint8Array, len: Int32Array): number {
  checkSockaddrOut(sa, len);
  return r(getsocknameC(fd, sa, len));
}

export function getpeername(fd: number, sa: Uint8Array, len: Int32Array): number {
  checkSockaddrOut(sa, len);
  return r(getpeernameC(fd, sa, len));
}

const intVal = new Int32Array(1);
const intLen = new Int32Array(1);

/** getsockopt for an int option: the value is in out[0]; returns 0 or -errno. */
export function getsockoptInt(fd: number, level: number, name: number, out: Int32Array): number {
  intVal[0] = 0;
  intLen[0] = 4;
  const e = r(getsockoptC(fd, level, name, intVal, intLen));
  if (e >= 0) out[0] = intVal[0]!;
  return e;
}

export function setsockoptInt(fd: number, level: number, name: number, value: number): number {
  intVal[0] = value;
  return r(setsockoptC(fd, level, name, intVal, 4));
}

/** getsockopt into raw bytes; len[0] is the room in, the length out. */
export function getsockopt(fd: number, level: number, name: number, val: Uint8Array, len: Int32Array): number {
  checkSockaddrOut(val, len);
  return r(getsockoptC(fd, level, name, val, len));
}

export function setsockopt(fd: number, level: number, name: number, val: Uint8Array, length: number): number {
  checkRange(val, 0, length);
  return r(setsockoptC(fd, level, name, val, length));
}

const lingerBuf = new Int32Array(2);
/** The option whose l_linger counts seconds: SO_LINGER_SEC on macOS (its SO_LINGER counts ticks), else SO_LINGER. */
export function lingerOption(c: { SO_LINGER: number; SO_LINGER_SEC: number } = C): number {
  return c.SO_LINGER_SEC !== 0 ? c.SO_LINGER_SEC : c.SO_LINGER;
}
/** SO_LINGER: struct linger { int l_onoff; int l_linger; }. secs < 0 turns lingering off. */
export function setLinger(fd: number, secs: number): number {
  lingerBuf[0] = secs >= 0 ? 1 : 0;
  lingerBuf[1] = secs >= 0 ? secs : 0;
  return r(setsockoptC(fd, C.SOL_SOCKET, lingerOption(), lingerBuf, 8));
}

/** SO_LINGER into out: out[0] l_onoff, out[1] l_linger; 0 or -errno. */
export function getLinger(fd: number, out: Int32Array): number {
  intLen[0] = 8;
  lingerBuf.fill(0);
  const e = r(getsockoptC(fd, C.SOL_SOCKET, lingerOption(), lingerBuf, intLen));
  if (e >= 0) { out[0] = lingerBuf[0]!; out[1] = lingerBuf[1]!; }
  return e;
}

export function shutdown(fd: number, how: number): number {
  return r(shutdownC(fd, how));
}

/** send(2) with MSG_NOSIGNAL where the OS has it. count bytes from buf's start. */
export function send(fd: number, buf: ArrayBufferView, count: number, flags = 0): number {
  return r(sendC(fd, buf, count, flags | C.MSG_NOSIGNAL));
}

export function recv(fd: number, buf: ArrayBufferView, count: number, flags = 0): number {
  return r(recvC(fd, buf, count, flags));
}

/**
 * iovecs for bufs[start..], at most IOV_MAX of them and maxBytes in all
 * (the last one truncated). koffi passes each Uint8Array's own memory,
 * valid for the duration of the call.
 */
function iovecs(bufs: readonly Uint8Array[], start: number, maxBytes: number): { iov_base: Uint8Array; iov_len: number }[] {
  const out: { iov_base: Uint8Array; iov_len: number }[] = [];
  let total = 0;
  for (let i = start; i < bufs.length && out.length < IOV_MAX && total < maxBytes; i++) {
    const b = bufs[i]!;
    if (!ArrayBuffer.isView(b)) throw new TypeError('netpoll: readv/writev take Uint8Arrays');
    const n = Math.min(b.byteLength, maxBytes - total);
    if (n === 0) continue;
    out.push({ iov_base: b, iov_len: n });
    total += n;
  }
  return out;
}

/** readv(2) into bufs[start..]: n or -errno (0 when there is nothing to fill). */
export function readv(fd: number, bufs: readonly Uint8Array[], start = 0, maxBytes = Number.MAX_SAFE_INTEGER): number {
  const iov = iovecs(bufs, start, maxBytes);
  if (iov.length === 0) return r(readvC(fd, null, 0));
  return r(readvC(fd, iov, iov.length));
}

/** writev(2) from bufs[start..]: n or -errno. */
export function writev(fd: number, bufs: readonly Uint8Array[], start = 0, maxBytes = Number.MAX_SAFE_INTEGER): number {
  const iov = iovecs(bufs, start, maxBytes);
  if (iov.length === 0) return r(writevC(fd, null, 0));
  return r(writevC(fd, iov, iov.length));
}

// struct pollfd { int fd; short events; short revents; }
const pollfd = new Int32Array(2);
const pollShorts = new Int16Array(pollfd.buffer);
/**
 * poll(2) one descriptor without waiting: its revents (POLLIN, POLLOUT,
 * POLLERR, POLLHUP) or -errno. Readiness as the kernel sees it now, for
 * the edge-triggered poller's "is anything left?" question.
 */
export function pollNow(fd: number, events: number): number {
  checkFd(fd);
  pollfd[0] = fd;
  pollShorts[2] = events;
  pollShorts[3] = 0;
  let n: number;
  do n = r(pollC(pollfd, 1, 0)); while (n === -EINTR);
  if (n < 0) return n;
  return n === 0 ? 0 : pollShorts[3]! & 0xffff;
}
