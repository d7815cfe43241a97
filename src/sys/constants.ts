// Kernel constants by OS, named as the C headers name them, with the values
// of each OS's system headers (sys/errno.h, sys/socket.h, sys/event.h, …).
import { OS_NAME, type OS } from './platform.ts';

export interface Constants {
  // errno
  EINTR: number; EAGAIN: number; ETIMEDOUT: number; EINPROGRESS: number; EALREADY: number;
  EISCONN: number; ECONNABORTED: number; ECONNRESET: number; ECONNREFUSED: number; ENOTCONN: number;
  EPIPE: number; EBADF: number; EINVAL: number; ENOBUFS: number; EMFILE: number; ENFILE: number;
  ENOSYS: number; EPERM: number; ENOENT: number; EEXIST: number;
  EIO: number; ENXIO: number; EACCES: number; EISDIR: number; ESPIPE: number;
  // fcntl / open
  O_NONBLOCK: number; O_CLOEXEC: number; F_GETFD: number; F_SETFD: number; FD_CLOEXEC: number;
  F_GETFL: number; F_SETFL: number; F_DUPFD_CLOEXEC: number; O_NOCTTY: number;
  FIONREAD: number;
  // sockets
  SOL_SOCKET: number; SO_ERROR: number; SO_REUSEADDR: number; SO_REUSEPORT: number; SO_KEEPALIVE: number;
  SO_LINGER: number; SO_SNDBUF: number; SO_RCVBUF: number; SO_TYPE: number; SO_NOSIGPIPE: number;
  /** macOS: SO_LINGER there counts clock ticks; this one counts seconds (0 elsewhere). */
  SO_LINGER_SEC: number;
  SO_ACCEPTCONN: number;
  AF_UNIX: number; AF_INET: number; AF_INET6: number;
  SOCK_STREAM: number; SOCK_DGRAM: number; SOCK_RAW: number; SOCK_SEQPACKET: number;
  SOCK_NONBLOCK: number; SOCK_CLOEXEC: number;
  IPPROTO_ICMP: number; IPPROTO_TCP: number; IPPROTO_IPV6: number; TCP_NODELAY: number; TCP_KEEPIDLE: number; TCP_KEEPINTVL: number;
  IPV6_V6ONLY: number; SHUT_RD: number; SHUT_WR: number; SHUT_RDWR: number; MSG_OOB: number; MSG_NOSIGNAL: number;
  // kqueue (0 where the OS has none)
  EV_ADD: number; EV_DELETE: number; EV_ENABLE: number; EV_DISABLE: number; EV_ONESHOT: number;
  EV_CLEAR: number; EV_RECEIPT: number; EV_ERROR: number; EV_EOF: number;
  EVFILT_READ: number; EVFILT_WRITE: number; EVFILT_USER: number; NOTE_TRIGGER: number;
  /** Exceptional conditions (out-of-band data): 0 where the kernel has no such filter. */
  EVFILT_EXCEPT: number; NOTE_OOB: number;
}

// The same number on Linux, macOS and every BSD (they all keep V7's values).
const sharedErrno = { EIO: 5, ENXIO: 6, EACCES: 13, EISDIR: 21, ESPIPE: 29 };

const bsdErrno = {
  EINTR: 4, EAGAIN: 35, ETIMEDOUT: 60, EINPROGRESS: 36, EALREADY: 37, EISCONN: 56,
  ECONNABORTED: 53, ECONNRESET: 54, ECONNREFUSED: 61, ENOTCONN: 57, EPIPE: 32, EBADF: 9,
  EINVAL: 22, ENOBUFS: 55, EMFILE: 24, ENFILE: 23, ENOSYS: 78, EPERM: 1, ENOENT: 2, EEXIST: 17,
};

const bsdCommon = {
  ...bsdErrno, ...sharedErrno,
  O_NONBLOCK: 0x4, O_NOCTTY: 0x8000, F_GETFD: 1, F_SETFD: 2, FD_CLOEXEC: 1, F_GETFL: 3, F_SETFL: 4,
  FIONREAD: 0x4004667f,
  SOL_SOCKET: 0xffff, SO_ERROR: 0x1007, SO_REUSEADDR: 0x4, SO_REUSEPORT: 0x200, SO_KEEPALIVE: 0x8,
  SO_LINGER: 0x80, SO_SNDBUF: 0x1001, SO_RCVBUF: 0x1002, SO_TYPE: 0x1008, SO_NOSIGPIPE: 0,
  SO_LINGER_SEC: 0, SO_ACCEPTCONN: 0x2,
  AF_UNIX: 1, AF_INET: 2, SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_RAW: 3, SOCK_SEQPACKET: 5,
  IPPROTO_ICMP: 1, IPPROTO_TCP: 6, IPPROTO_IPV6: 41, TCP_NODELAY: 1, IPV6_V6ONLY: 27,
  SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2, MSG_OOB: 0x1, MSG_NOSIGNAL: 0,
  EVFILT_EXCEPT: 0, NOTE_OOB: 0,
  EV_ADD: 0x1, EV_DELETE: 0x2, EV_ENABLE: 0x4, EV_DISABLE: 0x8, EV_ONESHOT: 0x10, EV_CLEAR: 0x20,
  EV_RECEIPT: 0x40, EV_ERROR: 0x4000, EV_EOF: 0x8000,
  EVFILT_READ: -1, EVFILT_WRITE: -2, NOTE_TRIGGER: 0x01000000,
};

const tables: Record<OS, Constants> = {
  // Linux: the kqueue names describe the user-space kqueue (sys/ukqueue.ts),
  // which follows FreeBSD's API and values.
  linux: {
    EINTR: 4, EAGAIN: 11, ETIMEDOUT: 110, EINPROGRESS: 115, EALREADY: 114, EISCONN: 106,
    ECONNABORTED: 103, ECONNRESET: 104, ECONNREFUSED: 111, ENOTCONN: 107, EPIPE: 32, EBADF: 9,
    EINVAL: 22, ENOBUFS: 105, EMFILE: 24, ENFILE: 23, ENOSYS: 38, EPERM: 1, ENOENT: 2, EEXIST: 17,
    ...sharedErrno,
    O_NONBLOCK: 0x800, O_CLOEXEC: 0x80000, F_GETFD: 1, F_SETFD: 2, FD_CLOEXEC: 1, F_GETFL: 3, F_SETFL: 4,
    F_DUPFD_CLOEXEC: 0x406, O_NOCTTY: 0x100,
    FIONREAD: 0x541b,
    SOL_SOCKET: 1, SO_ERROR: 4, SO_REUSEADDR: 2, SO_REUSEPORT: 15, SO_KEEPALIVE: 9, SO_LINGER: 13,
    SO_SNDBUF: 7, SO_RCVBUF: 8, SO_TYPE: 3, SO_NOSIGPIPE: 0, SO_LINGER_SEC: 0, SO_ACCEPTCONN: 30,
    AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_RAW: 3, SOCK_SEQPACKET: 5,
    SOCK_NONBLOCK: 0x800, SOCK_CLOEXEC: 0x80000,
    IPPROTO_ICMP: 1, IPPROTO_TCP: 6, IPPROTO_IPV6: 41, TCP_NODELAY: 1, TCP_KEEPIDLE: 4, TCP_KEEPINTVL: 5, IPV6_V6ONLY: 26,
    SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2, MSG_OOB: 0x1, MSG_NOSIGNAL: 0x4000,
    EV_ADD: 0x1, EV_DELETE: 0x2, EV_ENABLE: 0x4, EV_DISABLE: 0x8, EV_ONESHOT: 0x10, EV_CLEAR: 0x20,
    EV_RECEIPT: 0x40, EV_ERROR: 0x4000, EV_EOF: 0x8000,
    EVFILT_READ: -1, EVFILT_WRITE: -2, EVFILT_USER: -11, NOTE_TRIGGER: 0x01000000,
    EVFILT_EXCEPT: 0, NOTE_OOB: 0,
  },
  // SO_NOSIGPIPE is set on every socket where the OS has it (socket.ts), so
  // write(2) and writev(2) on a socket never raise SIGPIPE; send() also
  // carries MSG_NOSIGNAL where that exists.
  darwin: {
    ...bsdCommon, O_CLOEXEC: 0x1000000, F_DUPFD_CLOEXEC: 0x43, O_NOCTTY: 0x20000, AF_INET6: 30, SOCK_NONBLOCK: 0, SOCK_CLOEXEC: 0,
    SO_NOSIGPIPE: 0x1022, SO_LINGER_SEC: 0x1080, TCP_KEEPIDLE: 0x10, TCP_KEEPINTVL: 0x101, EVFILT_USER: -10,
    EVFILT_EXCEPT: -15, NOTE_OOB: 0x2,
  },
  freebsd: {
    ...bsdCommon, O_CLOEXEC: 0x100000, F_DUPFD_CLOEXEC: 0x11, AF_INET6: 28, SOCK_NONBLOCK: 0x20000000, SOCK_CLOEXEC: 0x10000000,
    SO_NOSIGPIPE: 0x800, TCP_KEEPIDLE: 0x100, TCP_KEEPINTVL: 0x200, MSG_NOSIGNAL: 0x20000, EVFILT_USER: -11,
  },
  dragonfly: {
    ...bsdCommon, O_CLOEXEC: 0x20000, F_DUPFD_CLOEXEC: 0x11, AF_INET6: 28, SOCK_NONBLOCK: 0x20000000, SOCK_CLOEXEC: 0x10000000,
    SO_NOSIGPIPE: 0x800, TCP_KEEPIDLE: 0x100, TCP_KEEPINTVL: 0x200, MSG_NOSIGNAL: 0x400, EV_RECEIPT: 0, EVFILT_USER: -9,
    EVFILT_EXCEPT: -8, NOTE_OOB: 0x2,
  },
  netbsd: {
    ...bsdCommon, O_CLOEXEC: 0x400000, F_DUPFD_CLOEXEC: 0xc, AF_INET6: 24, SOCK_NONBLOCK: 0x20000000, SOCK_CLOEXEC: 0x10000000,
    SO_NOSIGPIPE: 0x800, TCP_KEEPIDLE: 3, TCP_KEEPINTVL: 5, MSG_NOSIGNAL: 0x400, EV_RECEIPT: 0,
    EVFILT_READ: 0, EVFILT_WRITE: 1, EVFILT_USER: 8, SO_REUSEPORT: 0x200,
  },
  openbsd: {
    ...bsdCommon, O_CLOEXEC: 0x10000, F_DUPFD_CLOEXEC: 0xa, AF_INET6: 24, SOCK_NONBLOCK: 0x4000, SOCK_CLOEXEC: 0x8000,
    TCP_KEEPIDLE: 0, TCP_KEEPINTVL: 0, MSG_NOSIGNAL: 0x400, EVFILT_USER: 0, NOTE_TRIGGER: 0,
    EVFILT_EXCEPT: -9, NOTE_OOB: 0x4,
  },
};

export const C: Readonly<Constants> = Object.freeze(tables[OS_NAME]);
export function constantsFor(os: OS): Readonly<Constants> { return tables[os]; }

// Linux epoll and eventfd (the same on x86_64 and arm64).
export const EPOLLIN = 0x1, EPOLLPRI = 0x2, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10;
export const EPOLLRDHUP = 0x2000, EPOLLONESHOT = 0x40000000, EPOLLET = 0x80000000;
export const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
export const EPOLL_CLOEXEC = 0x80000, EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;

// Linux descriptors that deliver records (eventfd, timerfd, inotify, signalfd):
// their NONBLOCK/CLOEXEC flags are O_NONBLOCK/O_CLOEXEC.
export const EFD_SEMAPHORE = 1;
export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1;
export const TFD_TIMER_ABSTIME = 1;
export const IN_ACCESS = 0x1, IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8, IN_CLOSE_NOWRITE = 0x10,
  IN_OPEN = 0x20, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80, IN_CREATE = 0x100, IN_DELETE = 0x200,
  IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800, IN_Q_OVERFLOW = 0x4000, IN_IGNORED = 0x8000, IN_ISDIR = 0x40000000;
export const SIG_BLOCK = 0, SIG_UNBLOCK = 1;
