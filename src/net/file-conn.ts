// fileConn: a Conn over a connected stream socket that arrived from
// elsewhere: passed over a Unix socket (readMsg + parseUnixRights) or
// inherited. Go's net.FileConn, except that the descriptor is taken over,
// not duplicated: a received descriptor has no other owner to close it.
// The one implementation is Conn.fromFd (file.ts).
import type { Netpoll } from '../netpoll/netpoll.ts';
import { Conn } from './conn.ts';

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
  return Conn.fromFd(sysfd, opts.netpoll ? { netpoll: opts.netpoll } : {});
}
