// Control messages (ancillary data) as bytes: Go's syscall.UnixRights,
// ParseSocketControlMessage and ParseUnixRights. A control message is a
// struct cmsghdr { len; int level; int type; } followed by its data, each
// padded to CMSG_ALIGN. The width of cmsg_len and the alignment differ:
// Linux has a size_t length and aligns to 8 (on 64-bit); the BSDs have a
// socklen_t length and align to sizeof(long), macOS to 4, NetBSD/arm64 to 16.
import { endianness } from 'node:os';
import { checkFd, checkRange } from './bounds.ts';
import { C } from './constants.ts';
import { M } from './msg-constants.ts';
import { ARCH, OS_NAME, type Arch, type OS } from './platform.ts';

const LE = endianness() === 'LE';

export interface CmsgLayout {
  /** Bytes of cmsg_len: 8 (size_t, Linux) or 4 (socklen_t). */
  readonly lenBytes: 4 | 8;
  /** sizeof(struct cmsghdr) before alignment. */
  readonly hdrLen: number;
  /** CMSG_ALIGN's boundary. */
  readonly align: number;
}

/** The cmsghdr layout of an OS and architecture (64-bit only): `cmsgLayoutFor('darwin', 'arm64').align === 4`. */
export function cmsgLayoutFor(os: OS, arch: Arch): CmsgLayout {
  if (os === 'linux') return { lenBytes: 8, hdrLen: 16, align: 8 };
  if (os === 'darwin') return { lenBytes: 4, hdrLen: 12, align: 4 };
  if (os === 'netbsd' && arch === 'arm64') return { lenBytes: 4, hdrLen: 12, align: 16 };
  return { lenBytes: 4, hdrLen: 12, align: 8 };
}

const L = cmsgLayoutFor(OS_NAME, ARCH);

/** CMSG_ALIGN(n) for this OS: `cmsgAlign(13) === 16` on Linux. */
export function cmsgAlign(n: number): number {
  return (n + L.align - 1) & ~(L.align - 1);
}

/** CMSG_LEN(n): cmsg_len of a message carrying n data bytes (`cmsgLen(4) === 20` on Linux). */
export function cmsgLen(n: number): number {
  return cmsgAlign(L.hdrLen) + n;
}

/** CMSG_SPACE(n): the room a message of n data bytes takes; size oob with it: `new Uint8Array(cmsgSpace(4 * maxFds))`. */
export function cmsgSpace(n: number): number {
  return cmsgAlign(L.hdrLen) + cmsgAlign(n);
}

/** One parsed control message (Go's syscall.SocketControlMessage); data is a view into the buffer: `for (const m of parseSocketControlMessages(oob, oobn)) m.level`. */
export interface SocketControlMessage {
  readonly level: number;
  readonly type: number;
  readonly data: Uint8Array;
}

/** A control message that does not parse (Go's EINVAL from ParseSocketControlMessage): `parseUnixRights(garbage)` throws it. */
export class CmsgError extends RangeError {
  readonly code = 'EINVAL';
  constructor(message: string) {
    super(`netpoll: ${message}`);
    this.name = 'CmsgError';
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function readLen(v: DataView, at: number): number {
  return L.lenBytes === 8 ? Number(v.getBigUint64(at, LE)) : v.getUint32(at, LE);
}

function writeHeader(v: DataView, at: number, len: number, level: number, type: number): void {
  if (L.lenBytes === 8) v.setBigUint64(at, BigInt(len), LE);
  else v.setUint32(at, len, LE);
  v.setInt32(at + L.lenBytes, level, LE);
  v.setInt32(at + L.lenBytes + 4, type, LE);
}

/**
 * Go's syscall.UnixRights: one SCM_RIGHTS control message carrying fds,
 * to pass as writeMsg's oob. The descriptors are checked when sent (a
 * closed one fails the send with EBADF).
 *
 * @example
 * await unixConn.writeMsg(new Uint8Array([1]), unixRights(sock.fd.sysfd));
 */
export function unixRights(...fds: number[]): Uint8Array {
  if (fds.length === 0) throw new RangeError('netpoll: unixRights needs at least one descriptor');
  // The kernel's limit (SCM_MAX_FD on Linux is 253); more would be EINVAL at send time anyway.
  if (fds.length > 253) throw new RangeError(`netpoll: unixRights takes at most 253 descriptors, got ${fds.length}`);
  for (const fd of fds) checkFd(fd, 'descriptor to pass');
  const n = 4 * fds.length;
  const b = new Uint8Array(cmsgSpace(n));
  const v = view(b);
  writeHeader(v, 0, cmsgLen(n), C.SOL_SOCKET, M.SCM_RIGHTS);
  const at = cmsgAlign(L.hdrLen);
  for (let i = 0; i < fds.length; i++) v.setInt32(at + 4 * i, fds[i]!, LE);
  return b;
}

/**
 * Go's syscall.ParseSocketControlMessage: the messages in the first oobn
 * bytes of oob (what readMsg reported). Each message's data is a view into
 * oob, not a copy.
 */
export function parseSocketControlMessages(oob: Uint8Array, oobn: number = oob?.byteLength): SocketControlMessage[] {
  if (!(oob instanceof Uint8Array)) throw new TypeError('netpoll: oob must be a Uint8Array');
  checkRange(oob, 0, oobn);
  const v = view(oob);
  const hdr = cmsgAlign(L.hdrLen);
  const out: SocketControlMessage[] = [];
  let at = 0;
  while (at + L.hdrLen <= oobn) {
    const len = readLen(v, at);
    if (len < L.hdrLen || at + len > oobn) throw new CmsgError(`control message of length ${len} at ${at} does not fit in ${oobn} bytes`);
    const level = v.getInt32(at + L.lenBytes, LE);
    const type = v.getInt32(at + L.lenBytes + 4, LE);
    out.push({ level, type, data: oob.subarray(at + hdr, at + Math.max(hdr, len)) });
    at += cmsgAlign(len);
  }
  return out;
}

/**
 * Go's syscall.ParseUnixRights, over every SCM_RIGHTS message in oob[0..oobn):
 * the descriptors received, in order. They are yours to close (received
 * with MSG_CMSG_CLOEXEC, so they are close-on-exec).
 *
 * @example
 * const { oobn } = await conn.readMsg(buf, oob);
 * const [fd] = parseUnixRights(oob, oobn);
 */
export function parseUnixRights(oob: Uint8Array | SocketControlMessage, oobn?: number): number[] {
  const msgs = oob instanceof Uint8Array ? parseSocketControlMessages(oob, oobn) : [oob];
  const fds: number[] = [];
  for (const m of msgs) {
    if (m.level !== C.SOL_SOCKET || m.type !== M.SCM_RIGHTS) continue;
    const d = view(m.data);
    for (let i = 0; i + 4 <= m.data.byteLength; i += 4) fds.push(d.getInt32(i, LE));
  }
  return fds;
}
