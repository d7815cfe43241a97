// readMsg and writeMsg on a descriptor (Go's FD.ReadMsg/WriteMsg): payload
// and control data (SCM_RIGHTS descriptors) in one system call, under the
// FD's read or write lock through rawRead/rawWrite. Shared by Conn (Unix
// stream) and PacketConn (udp, unixgram).
import type { FD } from '../fd/fd.ts';
import { checkRange } from '../sys/bounds.ts';
import { parseSocketControlMessages } from '../sys/cmsg.ts';
import { C } from '../sys/constants.ts';
import { M } from '../sys/msg-constants.ts';
import * as msg from '../sys/msg.ts';
import { decodeSockaddr, SIZEOF_SOCKADDR_STORAGE } from '../sys/sockaddr.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { Addr } from './addr.ts';

const EINTR = -C.EINTR, EAGAIN = -C.EAGAIN;

/**
 * What readMsg returns (Go's n, oobn, flags, addr).
 *
 * @example
 * const { n, oobn, controlTruncated } = await conn.readMsg(buf, oob);
 */
export interface ReadMsgResult {
  /** Payload bytes copied into the buffer. */
  n: number;
  /** Control bytes copied into oob; parse them with parseUnixRights(oob, oobn). */
  oobn: number;
  /** msg_flags as the kernel set them (MSG_TRUNC, MSG_CTRUNC, …). */
  flags: number;
  /** The datagram was longer than the buffer (MSG_TRUNC): the rest is gone. */
  truncated: boolean;
  /**
   * The control data did not fit in oob (MSG_CTRUNC). Descriptors that did
   * not fit were closed by the kernel; those that fit are in oob and yours.
   * Reading with no oob at all closes every descriptor that came along.
   */
  controlTruncated: boolean;
  /** The sender (datagram sockets), or null (streams, unnamed senders). */
  addr: Addr | null;
}

/**
 * A control message that cannot be used here: SCM_RIGHTS outside AF_UNIX,
 * or readMsg/writeMsg on a TCP Conn. The cause of an OpError with code
 * ERR_NETPOLL_BAD_CONTROL_MESSAGE.
 *
 * @example
 * await udp.writeMsg(buf, unixRights(fd), addr); // rejects: OpError, cause ControlMessageError
 */
export class ControlMessageError extends Error {
  readonly code = 'ERR_NETPOLL_BAD_CONTROL_MESSAGE';
  readonly timeout = false;
  constructor(message: string) {
    super(message);
    this.name = 'ControlMessageError';
  }
}

/** Checks an oob buffer before sending: parseable, and descriptors only over Unix sockets. */
export function checkSendOob(oob: Uint8Array | null | undefined, unix: boolean): Uint8Array | null {
  if (oob === null || oob === undefined) return null;
  if (!(oob instanceof Uint8Array)) throw new TypeError('netpoll: oob must be a Uint8Array or null');
  if (oob.byteLength === 0) return null;
  const msgs = parseSocketControlMessages(oob);
  if (!unix && msgs.some((m) => m.level === C.SOL_SOCKET && m.type === M.SCM_RIGHTS)) {
    throw new ControlMessageError('descriptors (SCM_RIGHTS) can only be passed over a Unix socket');
  }
  return oob;
}

/** Normalizes (buf, offset, length) and checks the range: throws RangeError/TypeError. */
export function span(buf: Uint8Array, offset: number | undefined, length: number | undefined): [number, number] {
  if (!(buf instanceof Uint8Array)) throw new TypeError('netpoll: buffer must be a Uint8Array');
  const off = offset ?? 0;
  const len = length ?? buf.byteLength - off;
  checkRange(buf, off, len);
  return [off, len];
}

/**
 * recvmsg under the read lock, parking until readable. oob's whole length
 * is the room for control data (null: none, which makes the kernel close
 * any descriptors that came and report MSG_CTRUNC).
 */
export async function readMsgOn(fd: FD, buf: Uint8Array, offset: number, length: number, oob: Uint8Array | null,
                                datagram: boolean, signal: AbortSignal | undefined): Promise<ReadMsgResult> {
  if (oob !== null && !(oob instanceof Uint8Array)) throw new TypeError('netpoll: oob must be a Uint8Array or null');
  const name = datagram ? new Uint8Array(SIZEOF_SOCKADDR_STORAGE) : null;
  const info: msg.MsgInfo = { oobn: 0, flags: 0, namelen: 0 };
  // Go's Recvmsg: on a stream, control data comes with at least one byte of payload (writeMsg's dummy byte).
  const dummy = !datagram && length === 0 && oob !== null && oob.byteLength > 0;
  const b = dummy ? new Uint8Array(1) : buf, o = dummy ? 0 : offset, l = dummy ? 1 : length;
  let res = 0;
  await fd.rawRead((sysfd) => {
    do res = msg.recvmsg(sysfd, b, o, l, oob, name, 0, info); while (res === EINTR);
    return res !== EAGAIN;
  }, signal);
  if (res < 0) throw new SyscallError('recvmsg', -res);
  if (dummy) res = 0;
  let addr: Addr | null = null;
  if (name !== null && info.namelen >= 2) {
    try {
      addr = Addr.fromSockaddr(decodeSockaddr(name, info.namelen), 'datagram');
    } catch {
      addr = null; // a family this layer does not name; the data and descriptors still count
    }
  }
  return {
    n: res, oobn: info.oobn, flags: info.flags, addr,
    truncated: (info.flags & M.MSG_TRUNC) !== 0, controlTruncated: (info.flags & M.MSG_CTRUNC) !== 0,
  };
}

/**
 * sendmsg on a stream under the write lock: the control data goes with the
 * first bytes, the rest follows until all is written (Conn.write's rule).
 */
export async function writeMsgStream(fd: FD, buf: Uint8Array, offset: number, length: number, oob: Uint8Array | null,
                                     signal: AbortSignal | undefined): Promise<number> {
  // Go's SendmsgN: control data on a stream travels with at least one byte, a dummy one if need be.
  if (length === 0 && oob !== null) {
    await writeMsgStream(fd, new Uint8Array(1), 0, 1, oob, signal);
    return 0;
  }
  let nn = 0, res = 0, first = true;
  await fd.rawWrite((sysfd) => {
    for (;;) {
      do res = msg.sendmsg(sysfd, buf, offset + nn, length - nn, first ? oob : null, null, 0, 0); while (res === EINTR);
      if (res === EAGAIN) return false;
      if (res < 0) return true;
      first = false;
      nn += res;
      if (nn >= length) return true;
    }
  }, signal);
  if (res < 0) throw Object.assign(new SyscallError('sendmsg', -res), { bytesWritten: nn });
  return nn;
}
