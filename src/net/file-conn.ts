// fileConn: a Conn over a connected stream socket that arrived from
// elsewhere: passed over a Unix socket (readMsg + parseUnixRights) or
// inherited. Go's net.FileConn, except that the descriptor is taken over,
// not duplicated: a received descriptor has no other owner to close it.
import { FD } from '../fd/fd.ts';
import { Netpoll } from '../netpoll/netpoll.ts';
import { checkFd } from '../sys/bounds.ts';
import { C } from '../sys/constants.ts';
import { setNonblock } from '../sys/descriptors.ts';
import { decodeSockaddr } from '../sys/sockaddr.ts';
import * as sock from '../sys/socket.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { Addr } from './addr.ts';
import { Conn } from './conn.ts';
import { OpError } from './errors.ts';
import { packPeer } from './peer.ts';

export interface FileConnOptions {
  /** The Netpoll to register with; default Netpoll.current(). */
  netpoll?: Netpoll;
}

/**
 * Takes over sysfd, a connected stream socket (TCP or Unix), as a Conn:
 * made non-blocking and registered with the poller. Closing the Conn closes
 * the descriptor. Anything else (a datagram socket, a file, a closed
 * descriptor) is refused with an OpError, and sysfd is left as it was.
 *
 * @example
 * const { oobn } = await unixConn.readMsg(buf, oob);
 * for (const fd of parseUnixRights(oob, oobn)) void serve(fileConn(fd));
 */
export function fileConn(sysfd: number, opts: FileConnOptions = {}): Conn {
  checkFd(sysfd, 'sysfd');
  const out = new Int32Array(1);
  try {
    const e = sock.getsockoptInt(sysfd, C.SOL_SOCKET, C.SO_TYPE, out);
    if (e < 0) throw new SyscallError('getsockopt', -e);
    if (out[0] !== C.SOCK_STREAM) throw new SyscallError('getsockopt', C.EINVAL);
    const local = Addr.fromSockaddr(decodeSockaddr(sockname(sysfd, false)));
    const peer = sockname(sysfd, true);
    setNonblock(sysfd);
    const fd = new FD(sysfd, { netpoll: opts.netpoll ?? Netpoll.current(), isStream: true, zeroReadIsEOF: true });
    return new Conn(fd, local.network === 'unix' ? 'unix' : 'tcp', local, packPeer(peer));
  } catch (e) {
    throw e instanceof OpError ? e : new OpError({ op: 'file', net: 'fd', cause: e });
  }
}

function sockname(fd: number, peer: boolean): Uint8Array {
  const sa = new Uint8Array(128);
  const len = Int32Array.of(128);
  const r = peer ? sock.getpeername(fd, sa, len) : sock.getsockname(fd, sa, len);
  if (r < 0) throw new SyscallError(peer ? 'getpeername' : 'getsockname', -r);
  return sa.subarray(0, Math.min(len[0]!, 128));
}
