// Datagram and message system calls: recvfrom/sendto (straight into the
// caller's buffer), recvmsg/sendmsg and, on Linux, recvmmsg/sendmmsg.
// Like socket.ts, each returns its result or -errno.
//
// The msghdr family carries pointers inside structs, which the kernel
// follows. Those structs, the iovecs, addresses, control data and payload
// live in one native arena this module owns (koffi.alloc), laid out per
// call; payload is copied between it and the caller's buffers around the
// call. So the kernel only ever writes into memory sized here, and every
// caller's range is checked before the call. Calls are synchronous: one
// arena serves them all.
import { endianness } from 'node:os';
import koffi from 'koffi';
import { checkFd, checkRange } from './bounds.ts';
import { C } from './constants.ts';
import { fcntl } from './libc.ts';
import { fn, orErrno as r, type Fn } from './libc-handle.ts';
import { IOVEC_LEN, IOVEC_SIZE, msgLayoutFor } from './msg-layout.ts';
import { M } from './msg-constants.ts';
import { parseUnixRights } from './cmsg.ts';
import { IS_LINUX, OS_NAME } from './platform.ts';
import { SIZEOF_SOCKADDR_STORAGE } from './sockaddr.ts';

const LE = endianness() === 'LE';
const ML = msgLayoutFor(OS_NAME);

const recvfromC = fn('intptr_t recvfrom(int fd, void *buf, size_t len, int flags, void *sa, int *salen)');
const sendtoC = fn('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *sa, uint32_t salen)');
const recvmsgC = fn('intptr_t recvmsg(int fd, void *msg, int flags)');
const sendmsgC = fn('intptr_t sendmsg(int fd, const void *msg, int flags)');
let recvmmsgC: Fn | null = null;
let sendmmsgC: Fn | null = null;

/** recvmmsg/sendmmsg exist (Linux); elsewhere batches go one datagram per call. */
export const HAS_MMSG = IS_LINUX;
/** Linux's recvfrom with MSG_TRUNC returns a datagram's full length even when it was cut. */
export const RECV_TRUNC_REPORTS_LENGTH = IS_LINUX;
/** The most messages one recvmmsg/sendmmsg call takes here (Linux's UIO_MAXIOV). */
export const MAX_BATCH = 1024;
/** The most bytes the arena holds for one call. */
export const MAX_MSG_BYTES = 1 << 30;

// ---- the arena -------------------------------------------------------------

let arenaMem: unknown = null;
let arenaBase = 0;
let arena = new Uint8Array(0);
let av = new DataView(arena.buffer);

/** Room for `size` bytes; the old arena is released when it grows. */
function ensure(size: number): void {
  if (arena.byteLength >= size) return;
  if (size > MAX_MSG_BYTES + 1024 * 1024) throw new RangeError(`netpoll: a message of ${size} bytes is larger than ${MAX_MSG_BYTES}`);
  const cap = Math.max(size, arena.byteLength * 2, 64 * 1024);
  const mem = koffi.alloc('uint8_t', cap);
  if (arenaMem !== null) koffi.free(arenaMem);
  arenaMem = mem;
  // User-space addresses fit in 48 bits: a Number holds them exactly.
  arenaBase = Number(koffi.address(mem));
  arena = new Uint8Array(koffi.view(mem, cap));
  av = new DataView(arena.buffer);
}

function align8(n: number): number { return (n + 7) & ~7; }

/** An 8-byte word (size_t or pointer) < 2^53. */
function setWord(at: number, v: number): void {
  av.setUint32(at + (LE ? 0 : 4), v >>> 0, LE);
  av.setUint32(at + (LE ? 4 : 0), Math.floor(v / 0x100000000), LE);
}
function getWord(at: number): number {
  return av.getUint32(at + (LE ? 0 : 4), LE) + av.getUint32(at + (LE ? 4 : 0), LE) * 0x100000000;
}
function setSized(at: number, bytes: 4 | 8, v: number): void {
  if (bytes === 8) setWord(at, v); else av.setUint32(at, v, LE);
}
function getSized(at: number, bytes: 4 | 8): number {
  return bytes === 8 ? getWord(at) : av.getUint32(at, LE);
}
/** A pointer to arena offset `off`, or NULL for -1. */
function setPtr(at: number, off: number): void { setWord(at, off < 0 ? 0 : arenaBase + off); }

/** Fills a msghdr at `at` whose pieces sit at the given arena offsets (-1: none). */
function writeMsghdr(at: number, name: number, namelen: number, iov: number, control: number, controllen: number): void {
  arena.fill(0, at, at + ML.size);
  setPtr(at + ML.name, name);
  av.setUint32(at + ML.namelen, namelen, LE);
  setPtr(at + ML.iov, iov);
  setSized(at + ML.iovlen, ML.iovlenBytes, 1);
  setPtr(at + ML.control, control);
  setSized(at + ML.controllen, ML.controllenBytes, controllen);
}

function writeIovec(at: number, data: number, len: number): void {
  setPtr(at, data);
  setWord(at + IOVEC_LEN, len);
}

// ---- recvfrom / sendto ------------------------------------------------------

/** buf from offset on (the call's own length bounds what the kernel touches): no view at offset 0. */
function viewAt(buf: Uint8Array, offset: number, length: number): Uint8Array {
  return offset === 0 ? buf : new Uint8Array(buf.buffer, buf.byteOffset + offset, length);
}

function checkName(sa: Uint8Array, saLen: Int32Array): void {
  if (!(saLen instanceof Int32Array) || saLen.length < 1) throw new TypeError('netpoll: socklen must be an Int32Array of 1');
  checkRange(sa, 0, saLen[0]!);
}

/**
 * recvfrom(2) into buf[offset, offset+length); the sender's sockaddr into
 * sa (saLen[0]: its room in, its length out). With MSG_TRUNC on Linux the
 * result is the datagram's full length, possibly more than length.
 */
export function recvfrom(fd: number, buf: Uint8Array, offset: number, length: number, flags: number,
                         sa: Uint8Array, saLen: Int32Array): number {
  checkRange(buf, offset, length);
  checkName(sa, saLen);
  return r(recvfromC(fd, viewAt(buf, offset, length), length, flags, sa, saLen));
}

/** sendto(2) of buf[offset, offset+length) to sa (null when connected), with MSG_NOSIGNAL where the OS has it. */
export function sendto(fd: number, buf: Uint8Array, offset: number, length: number, flags: number,
                       sa: Uint8Array | null, saLen: number): number {
  checkRange(buf, offset, length);
  if (sa !== null) checkRange(sa, 0, saLen);
  return r(sendtoC(fd, viewAt(buf, offset, length), length, flags | C.MSG_NOSIGNAL, sa, sa === null ? 0 : saLen));
}

// ---- recvmsg / sendmsg ------------------------------------------------------

/** What recvmsg reports beside the byte count; the caller keeps one and passes it in. */
export interface MsgInfo {
  /** Bytes of control data received (oob[0..oobn)). */
  oobn: number;
  /** msg_flags: MSG_TRUNC, MSG_CTRUNC, … */
  flags: number;
  /** Bytes of the sender's sockaddr written into name. */
  namelen: number;
}

/** Received descriptors get FD_CLOEXEC by fcntl where MSG_CMSG_CLOEXEC does not exist (macOS), as Go does. */
function cloexecRights(oob: Uint8Array, oobn: number): void {
  if (M.MSG_CMSG_CLOEXEC !== 0 || oobn === 0) return;
  try {
    for (const fd of parseUnixRights(oob, oobn)) fcntl(fd, C.F_SETFD, C.FD_CLOEXEC);
  } catch {
    // Not parseable: nothing to mark.
  }
}

/**
 * recvmsg(2): payload into buf[offset, offset+length), control data into
 * oob (its whole length is the room), the sender's sockaddr into name (up
 * to its length, at most 128 bytes). Received descriptors are close-on-exec.
 * Returns the bytes copied into buf (never more than length; msg_flags says
 * MSG_TRUNC if the datagram was longer) or -errno; info gets the rest.
 */
export function recvmsg(fd: number, buf: Uint8Array, offset: number, length: number, oob: Uint8Array | null,
                        name: Uint8Array | null, flags: number, info: MsgInfo): number {
  checkFd(fd);
  checkRange(buf, offset, length);
  const ooblen = oob === null ? 0 : oob.byteLength;
  if (oob !== null) checkRange(oob, 0, ooblen);
  const namelen = name === null ? 0 : Math.min(name.byteLength, SIZEOF_SOCKADDR_STORAGE);
  if (name !== null) checkRange(name, 0, namelen);
  const iov = align8(ML.size), nameAt = iov + IOVEC_SIZE, ctl = nameAt + SIZEOF_SOCKADDR_STORAGE;
  const data = align8(ctl + ooblen);
  ensure(data + length);
  writeMsghdr(0, namelen === 0 ? -1 : nameAt, namelen, iov, ooblen === 0 ? -1 : ctl, ooblen);
  writeIovec(iov, data, length);
  const n = r(recvmsgC(fd, arenaMem, flags | M.MSG_CMSG_CLOEXEC));
  if (n < 0) return n;
  const got = Math.min(n, length);
  if (got > 0) buf.set(arena.subarray(data, data + got), offset);
  const oobn = Math.min(getSized(ML.controllen, ML.controllenBytes), ooblen);
  if (oobn > 0) oob!.set(arena.subarray(ctl, ctl + oobn));
  const nl = Math.min(av.getUint32(ML.namelen, LE), namelen);
  if (nl > 0) name!.set(arena.subarray(nameAt, nameAt + nl));
  info.oobn = oobn;
  info.flags = av.getInt32(ML.flags, LE) & ~M.MSG_CMSG_CLOEXEC;
  info.namelen = nl;
  if (oobn > 0) cloexecRights(oob!, oobn);
  return got;
}

/**
 * sendmsg(2) of buf[offset, offset+length) with control data oob (all of
 * it; null for none) to name[0..namelen) (null when connected). n or -errno.
 */
export function sendmsg(fd: number, buf: Uint8Array, offset: number, length: number, oob: Uint8Array | null,
                        name: Uint8Array | null, namelen: number, flags: number): number {
  checkFd(fd);
  checkRange(buf, offset, length);
  const ooblen = oob === null ? 0 : oob.byteLength;
  if (oob !== null) checkRange(oob, 0, ooblen);
  if (name !== null) {
    checkRange(name, 0, namelen);
    if (namelen > SIZEOF_SOCKADDR_STORAGE) throw new RangeError(`netpoll: a sockaddr of ${namelen} bytes is longer than ${SIZEOF_SOCKADDR_STORAGE}`);
  }
  const iov = align8(ML.size), nameAt = iov + IOVEC_SIZE, ctl = nameAt + SIZEOF_SOCKADDR_STORAGE;
  const data = align8(ctl + ooblen);
  ensure(data + length);
  const nl = name === null ? 0 : namelen;
  if (nl > 0) arena.set(name!.subarray(0, nl), nameAt);
  if (ooblen > 0) arena.set(oob!, ctl);
  if (length > 0) arena.set(buf.subarray(offset, offset + length), data);
  writeMsghdr(0, nl === 0 ? -1 : nameAt, nl, iov, ooblen === 0 ? -1 : ctl, ooblen);
  writeIovec(iov, data, length);
  return r(sendmsgC(fd, arenaMem, flags | C.MSG_NOSIGNAL));
}

// ---- recvmmsg / sendmmsg (Linux) -----------------------------------------

/** Per-message results of recvmmsg, in arrays the caller keeps. */
export interface BatchInfo {
  /** Bytes copied into each buffer. */
  readonly lens: Int32Array;
  /** Each message's msg_flags (MSG_TRUNC when it was cut). */
  readonly flags: Int32Array;
  /** Each sender's sockaddr length, its bytes at names[i * 128]. */
  readonly nameLens: Int32Array;
}

function checkBatch(bufs: readonly Uint8Array[], count: number): number {
  if (!Array.isArray(bufs)) throw new TypeError('netpoll: a batch is an array of Uint8Array');
  if (!Number.isInteger(count) || count < 1 || count > bufs.length || count > MAX_BATCH) {
    throw new RangeError(`netpoll: batch count ${String(count)} must be 1..${Math.min(bufs.length, MAX_BATCH)}`);
  }
  let total = 0;
  for (let i = 0; i < count; i++) {
    const b = bufs[i];
    if (!(b instanceof Uint8Array)) throw new TypeError(`netpoll: batch entry ${i} is not a Uint8Array`);
    total += align8(b.byteLength);
  }
  return total;
}

/**
 * recvmmsg(2) of up to count datagrams into bufs[0..count), one each; the
 * senders' sockaddrs into names (count × 128 bytes, or null). Returns how
 * many arrived, or -errno; info holds each one's length, flags and address
 * length.
 */
export function recvmmsg(fd: number, bufs: readonly Uint8Array[], count: number, names: Uint8Array | null,
                         flags: number, info: BatchInfo): number {
  if (!HAS_MMSG) return -C.ENOSYS;
  checkFd(fd);
  const total = checkBatch(bufs, count);
  if (info.lens.length < count || info.flags.length < count || info.nameLens.length < count) {
    throw new RangeError(`netpoll: batch info arrays hold fewer than ${count} entries`);
  }
  if (names !== null) checkRange(names, 0, count * SIZEOF_SOCKADDR_STORAGE);
  recvmmsgC ??= fn('int recvmmsg(int fd, void *msgs, unsigned int vlen, int flags, void *timeout)');
  const iovs = count * ML.mmsgSize, nameArea = iovs + count * IOVEC_SIZE;
  let data = nameArea + (names === null ? 0 : count * SIZEOF_SOCKADDR_STORAGE);
  ensure(data + total);
  for (let i = 0; i < count; i++) {
    const len = bufs[i]!.byteLength;
    const nameAt = names === null ? -1 : nameArea + i * SIZEOF_SOCKADDR_STORAGE;
    writeMsghdr(i * ML.mmsgSize, nameAt, names === null ? 0 : SIZEOF_SOCKADDR_STORAGE, iovs + i * IOVEC_SIZE, -1, 0);
    av.setUint32(i * ML.mmsgSize + ML.mmsgLen, 0, LE);
    writeIovec(iovs + i * IOVEC_SIZE, data, len);
    data += align8(len);
  }
  const n = r(recvmmsgC(fd, arenaMem, count, flags, null));
  if (n <= 0) return n;
  data = nameArea + (names === null ? 0 : count * SIZEOF_SOCKADDR_STORAGE);
  for (let i = 0; i < n; i++) {
    const b = bufs[i]!;
    const m = i * ML.mmsgSize;
    const got = Math.min(av.getUint32(m + ML.mmsgLen, LE), b.byteLength);
    if (got > 0) b.set(arena.subarray(data, data + got));
    info.lens[i] = got;
    info.flags[i] = av.getInt32(m + ML.flags, LE);
    const nl = names === null ? 0 : Math.min(av.getUint32(m + ML.namelen, LE), SIZEOF_SOCKADDR_STORAGE);
    info.nameLens[i] = nl;
    if (nl > 0) {
      const at = nameArea + i * SIZEOF_SOCKADDR_STORAGE;
      names!.set(arena.subarray(at, at + nl), i * SIZEOF_SOCKADDR_STORAGE);
    }
    data += align8(b.byteLength);
  }
  return n;
}

/**
 * sendmmsg(2) of bufs[start..start+count), each a whole datagram, to
 * names[i] (null entries or a null array when connected). Returns how many
 * went, or -errno.
 */
export function sendmmsg(fd: number, bufs: readonly Uint8Array[], start: number, count: number,
                         names: readonly (Uint8Array | null)[] | null, flags: number): number {
  if (!HAS_MMSG) return -C.ENOSYS;
  checkFd(fd);
  if (!Number.isInteger(start) || start < 0 || start > bufs.length) throw new RangeError(`netpoll: batch start ${String(start)} is outside the batch`);
  const slice = start === 0 ? bufs : bufs.slice(start);
  const total = checkBatch(slice, count);
  if (names !== null && names.length < start + count) throw new RangeError('netpoll: fewer addresses than datagrams in the batch');
  sendmmsgC ??= fn('int sendmmsg(int fd, void *msgs, unsigned int vlen, int flags)');
  const iovs = count * ML.mmsgSize, nameArea = iovs + count * IOVEC_SIZE;
  let data = nameArea + (names === null ? 0 : count * SIZEOF_SOCKADDR_STORAGE);
  ensure(data + total);
  for (let i = 0; i < count; i++) {
    const b = slice[i]!;
    const name = names === null ? null : names[start + i] ?? null;
    let nameAt = -1, nl = 0;
    if (name !== null) {
      if (!(name instanceof Uint8Array) || name.byteLength > SIZEOF_SOCKADDR_STORAGE) throw new RangeError(`netpoll: batch address ${i} is not a sockaddr`);
      nameAt = nameArea + i * SIZEOF_SOCKADDR_STORAGE;
      nl = name.byteLength;
      arena.set(name, nameAt);
    }
    if (b.byteLength > 0) arena.set(b, data);
    writeMsghdr(i * ML.mmsgSize, nameAt, nl, iovs + i * IOVEC_SIZE, -1, 0);
    av.setUint32(i * ML.mmsgSize + ML.mmsgLen, 0, LE);
    writeIovec(iovs + i * IOVEC_SIZE, data, b.byteLength);
    data += align8(b.byteLength);
  }
  return r(sendmmsgC(fd, arenaMem, count, flags | C.MSG_NOSIGNAL));
}
