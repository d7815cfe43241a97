// Adopting a socket descriptor (Go's net.FileConn / FileListener,
// net/file_unix.go): what it is, asked of the kernel (SO_TYPE, getsockname,
// SO_ACCEPTCONN), and made ready for the poller (non-blocking,
// close-on-exec). Ownership: by default the new Conn or Listener takes the
// descriptor over and closes it; `dup: true` works on a duplicate instead and
// leaves the caller's descriptor alone, as Go's FileConn always does.
import { checkFd } from '../sys/bounds.ts';
import { C } from '../sys/constants.ts';
import { dupCloexec, getfl } from '../sys/files.ts';
import { close as closeRaw, fcntl } from '../sys/libc.ts';
import { decodeSockaddr, SIZEOF_SOCKADDR_STORAGE } from '../sys/sockaddr.ts';
import * as sock from '../sys/socket.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { Addr, type Network, type PacketNetwork } from './addr.ts';
import { OpError } from './errors.ts';

/** A descriptor of the wrong kind for the call: a datagram socket for a Conn, a connected socket for a Listener. */
export class SocketKindError extends Error {
  readonly code = 'ERR_NETPOLL_SOCKET_KIND';
  constructor(message: string) {
    super(message);
    this.name = 'SocketKindError';
  }
}

export interface AdoptOptions {
  /** Work on a duplicate (Go's behaviour): the caller keeps, and must close, the descriptor it passed. Default false. */
  dup?: boolean;
}

export interface Adopted {
  sysfd: number;
  network: Network | PacketNetwork;
  family: 'inet4' | 'inet6' | 'unix';
  local: Addr;
  /** The peer: a connection's, a connected datagram socket's; null otherwise. */
  peer: Addr | null;
}

type Want = 'conn' | 'listener' | 'packet';
const WHO: Record<Want, string> = { conn: 'Conn', listener: 'Listener', packet: 'PacketConn' };

const sa = new Uint8Array(SIZEOF_SOCKADDR_STORAGE);
const saLen = new Int32Array(1);
const intOut = new Int32Array(1);

function check(syscall: string, r: number): number {
  if (r < 0) throw new SyscallError(syscall, -r);
  return r;
}

/** getsockname/getpeername as an Addr; null for a datagram socket's missing peer (ENOTCONN). */
function name(fd: number, peer: boolean, kind: 'stream' | 'datagram'): Addr | null {
  saLen[0] = sa.byteLength;
  const r = peer ? sock.getpeername(fd, sa, saLen) : sock.getsockname(fd, sa, saLen);
  if (r === -C.ENOTCONN && kind === 'datagram') return null;
  check(peer ? 'getpeername' : 'getsockname', r);
  return Addr.fromSockaddr(decodeSockaddr(sa, Math.min(saLen[0]!, sa.byteLength)), kind);
}

/**
 * Checks fd is a stream socket (listening for 'listener', not for 'conn'),
 * or a datagram socket for 'packet', of a family this layer speaks, and
 * readies it for the poller. Errors are
 * OpErrors with Go's op 'file' (ENOTSOCK for a pipe, EBADF for a closed
 * descriptor, SocketKindError for the wrong socket); on error the caller's
 * descriptor is left as it was.
 */
export function adoptSocket(fd: number, want: Want, opts: AdoptOptions = {}): Adopted {
  checkFd(fd);
  let sysfd = -1;
  try {
    check('getsockopt', sock.getsockoptInt(fd, C.SOL_SOCKET, C.SO_TYPE, intOut));
    const type = intOut[0]!;
    const wantType = want === 'packet' ? C.SOCK_DGRAM : C.SOCK_STREAM;
    if (type !== wantType) {
      throw new SocketKindError(want === 'packet'
        ? `fd ${fd} is not a datagram socket (SO_TYPE ${type}); PacketConn.fromFd takes UDP and Unix datagram sockets`
        : `fd ${fd} is not a stream socket (SO_TYPE ${type}); ${WHO[want]}.fromFd takes TCP and Unix stream sockets`);
    }
    const kind = want === 'packet' ? 'datagram' : 'stream';
    const local = name(fd, false, kind)!;
    if (want !== 'packet') {
      check('getsockopt', sock.getsockoptInt(fd, C.SOL_SOCKET, C.SO_ACCEPTCONN, intOut));
      const listening = intOut[0] !== 0;
      if (listening !== (want === 'listener')) {
        throw new SocketKindError(want === 'listener' ? `fd ${fd} is not listening (a connected or unbound socket: use Conn.fromFd)` : `fd ${fd} is a listening socket: use Listener.fromFd`);
      }
    }
    const peer = want === 'listener' ? null : name(fd, true, kind);
    sysfd = opts.dup === true ? check('fcntl', dupCloexec(fd)) : fd;
    const fl = check('fcntl', getfl(sysfd));
    if ((fl & C.O_NONBLOCK) === 0) check('fcntl', fcntl(sysfd, C.F_SETFL, fl | C.O_NONBLOCK));
    check('fcntl', fcntl(sysfd, C.F_SETFD, C.FD_CLOEXEC));
    const family = local.family;
    const network = want === 'packet' ? (family === 'unix' ? 'unixgram' : 'udp') : (family === 'unix' ? 'unix' : 'tcp');
    return { sysfd, network, family, local, peer };
  } catch (e) {
    if (sysfd >= 0 && sysfd !== fd) closeRaw(sysfd);
    throw new OpError({ op: 'file', net: 'file+net', cause: e });
  }
}

/**
 * A duplicate of a descriptor the caller is letting go of (Go's conn.File()):
 * close-on-exec, still non-blocking (the mode belongs to the open socket,
 * which both numbers share).
 */
export function dupForDetach(fd: number): number {
  return check('fcntl', dupCloexec(fd));
}
