// socket(2) for the families the net layer does not name: ICMP ping
// sockets, netlink, AF_PACKET where permitted. The descriptor is
// non-blocking and close-on-exec and goes on the poller as a File; run the
// family's own calls (sendto, recvmsg, bind to a netlink group) through
// file.syscallConn(), and plain send/recv through read and write.
import type { Netpoll } from '../netpoll/netpoll.ts';
import { C } from '../sys/constants.ts';
import { close as closeRaw } from '../sys/libc.ts';
import * as sock from '../sys/socket.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { PathError } from './errors.ts';
import { File } from './file.ts';

/**
 * A new socket as a File. Datagram-like types (anything but SOCK_STREAM)
 * read one message per call and a 0-byte message is not end of file.
 * Errors are PathErrors with op 'socket' (EACCES for a ping socket the
 * kernel's ping_group_range forbids, EPERM for raw sockets without the
 * capability, EAFNOSUPPORT for an unknown family).
 *
 * @example
 * const ping = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);   // an unprivileged ICMP socket
 */
export function socket(domain: number, type: number, protocol = 0, opts: { netpoll?: Netpoll } = {}): File {
  for (const [k, v] of [['domain', domain], ['type', type], ['protocol', protocol]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new RangeError(`netpoll: socket ${k} must be a non-negative integer, got ${String(v)}`);
  }
  const name = `socket(${domain}, ${type}, ${protocol})`;
  const fd = sock.socket(domain, type, protocol);
  if (fd < 0) throw new PathError('socket', name, new SyscallError('socket', -fd));
  try {
    return File.make(fd, 'open', { name, stream: type === C.SOCK_STREAM, ...(opts.netpoll ? { netpoll: opts.netpoll } : {}) });
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
}
