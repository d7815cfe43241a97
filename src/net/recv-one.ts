// One datagram from the kernel with its sender, for every reader of a
// PacketConn (its read op, the read-ahead's one-at-a-time mode, readBatch).
import { C } from '../sys/constants.ts';
import { M } from '../sys/msg-constants.ts';
import * as msg from '../sys/msg.ts';
import { SIZEOF_SOCKADDR_STORAGE } from '../sys/sockaddr.ts';
import type { PacketInfo } from './packet-info.ts';

const EINTR = -C.EINTR;
/** Linux: recvfrom returns a cut datagram's full length, so truncation shows without recvmsg. */
const RECV_FLAGS = msg.RECV_TRUNC_REPORTS_LENGTH ? M.MSG_TRUNC : 0;
const recvInfo: msg.MsgInfo = { oobn: 0, flags: 0, namelen: 0 };

/** One datagram into buf[off, off+len) and its sender into from: bytes or -errno (EINTR retried). */
export function recvOne(sysfd: number, buf: Uint8Array, off: number, len: number, from: PacketInfo): number {
  let res: number;
  if (msg.RECV_TRUNC_REPORTS_LENGTH) {
    const sl = from.socklen;
    do { sl[0] = SIZEOF_SOCKADDR_STORAGE; res = msg.recvfrom(sysfd, buf, off, len, RECV_FLAGS, from.sockaddr, sl); } while (res === EINTR);
    if (res >= 0) from.filled(Math.min(res, len), res > len);
    return res;
  }
  do res = msg.recvmsg(sysfd, buf, off, len, null, from.sockaddr, 0, recvInfo); while (res === EINTR);
  if (res >= 0) {
    from.socklen[0] = recvInfo.namelen;
    from.filled(res, (recvInfo.flags & M.MSG_TRUNC) !== 0);
  }
  return res;
}
