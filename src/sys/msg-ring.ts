// Native rings of datagrams for recvmmsg/sendmmsg (Linux) that stay laid
// out between calls: the mmsghdrs, iovecs and sockaddr slots are written
// once, so a call only resets the few fields the kernel writes back. The
// read ring holds datagrams a recvmmsg pulled ahead of the caller; the send
// ring holds datagrams written in one turn until one sendmmsg sends them.
// The kernel only ever sees memory allocated here, at sizes fixed here.
import koffi from 'koffi';
import { C } from './constants.ts';
import { checkFd } from './bounds.ts';
import { fn, orErrno as r, type Fn } from './libc-handle.ts';
import { IOVEC_SIZE, msgLayoutFor } from './msg-layout.ts';
import { M } from './msg-constants.ts';
import { IS_LINUX } from './platform.ts';
import { SIZEOF_SOCKADDR_STORAGE } from './sockaddr.ts';

const ML = msgLayoutFor('linux');
const NAME = SIZEOF_SOCKADDR_STORAGE;
/** Bytes kept of each datagram read ahead: the largest UDP payload fits, so only unixgram can be cut here. */
export const READ_SLOT = 65536;

let recvmmsgC: Fn | null = null;
let sendmmsgC: Fn | null = null;

/** Native memory of `size` bytes and its views; `free()` gives it back. */
class Native {
  readonly mem: unknown;
  readonly base: number;
  readonly bytes: Uint8Array;
  readonly i32: Int32Array;
  constructor(size: number) {
    this.mem = koffi.alloc('uint8_t', size);
    // User-space addresses fit in 48 bits: a Number holds them exactly.
    this.base = Number(koffi.address(this.mem));
    this.bytes = new Uint8Array(koffi.view(this.mem, size));
    this.i32 = new Int32Array(this.bytes.buffer, this.bytes.byteOffset, size >> 2);
    this.baseLo = this.base >>> 0;
    this.baseHi = Math.floor(this.base / 0x100000000);
  }
  private readonly baseLo: number;
  private readonly baseHi: number;
  /** An 8-byte pointer or size_t (< 2^53) at a 4-aligned offset, in the host's order. */
  setWord(at: number, v: number): void {
    const lo = v >>> 0, hi = Math.floor(v / 0x100000000);
    if (LE) { this.i32[at >> 2] = lo; this.i32[(at >> 2) + 1] = hi; } else { this.i32[at >> 2] = hi; this.i32[(at >> 2) + 1] = lo; }
  }
  /** An 8-byte size_t below 2^31 (no division on the hot path). */
  setSmall(at: number, v: number): void {
    if (LE) { this.i32[at >> 2] = v; this.i32[(at >> 2) + 1] = 0; } else { this.i32[at >> 2] = 0; this.i32[(at >> 2) + 1] = v; }
  }
  /** A pointer to offset `off` of this memory: base + off without a division (the hot path of push). */
  setPtr(at: number, off: number): void {
    let lo = this.baseLo + off, hi = this.baseHi;
    if (lo >= 0x100000000) { lo -= 0x100000000; hi++; }
    if (LE) { this.i32[at >> 2] = lo; this.i32[(at >> 2) + 1] = hi; } else { this.i32[at >> 2] = hi; this.i32[(at >> 2) + 1] = lo; }
  }
  free(): void { koffi.free(this.mem); }
}
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes mmsghdr i's fixed parts: its name slot, one iovec, no control data. */
function layHeader(n: Native, i: number, nameAt: number, iovAt: number): void {
  const h = i * ML.mmsgSize;
  n.bytes.fill(0, h, h + ML.mmsgSize);
  if (nameAt >= 0) n.setWord(h + ML.name, n.base + nameAt);
  n.setWord(h + ML.iov, n.base + iovAt);
  n.setWord(h + ML.iovlen, 1);
}

/**
 * Datagrams pulled by one recvmmsg ahead of the reader, served in order.
 * Each slot keeps up to READ_SLOT bytes and the datagram's full length.
 */
export class RecvRing {
  readonly cap: number;
  /** Datagrams held, and the next one to serve. */
  count = 0;
  head = 0;
  private readonly n: Native;
  private readonly iovs: number;
  private readonly names: number;
  private readonly data: number;

  constructor(cap: number) {
    if (!IS_LINUX) throw new Error('netpoll: recvmmsg is Linux only');
    this.cap = cap;
    this.iovs = cap * ML.mmsgSize;
    this.names = this.iovs + cap * IOVEC_SIZE;
    this.data = this.names + cap * NAME;
    this.n = new Native(this.data + cap * READ_SLOT);
    for (let i = 0; i < cap; i++) {
      layHeader(this.n, i, this.names + i * NAME, this.iovs + i * IOVEC_SIZE);
      this.n.setWord(this.iovs + i * IOVEC_SIZE, this.n.base + this.data + i * READ_SLOT);
      this.n.setWord(this.iovs + i * IOVEC_SIZE + 8, READ_SLOT);
    }
  }

  /** recvmmsg of up to k datagrams into an empty ring: how many came, or -errno. */
  fill(fd: number, k: number): number {
    checkFd(fd);
    if (!(k >= 1 && k <= this.cap)) throw new RangeError(`netpoll: read-ahead of ${String(k)} datagrams outside 1..${this.cap}`);
    recvmmsgC ??= fn('int recvmmsg(int fd, uintptr_t msgs, unsigned int vlen, int flags, void *timeout)');
    const i32 = this.n.i32;
    const step = ML.mmsgSize >> 2;
    for (let i = 0, h = 0; i < k; i++, h += step) i32[h + (ML.namelen >> 2)] = NAME;
    // MSG_TRUNC: each msg_len is the datagram's full length, so a cut is known.
    const got = r(recvmmsgC(fd, this.n.base, k, M.MSG_TRUNC, null));
    this.head = 0;
    this.count = got > 0 ? got : 0;
    return got;
  }

  /** The head datagram's full length. */
  headLength(): number { return this.n.i32[(this.head * ML.mmsgSize + ML.mmsgLen) >> 2]! >>> 0; }

  /**
   * Copies the head datagram into buf[off, off+len) and its sender into
   * name (socklen[0] set), then drops it. Returns the bytes copied (read
   * headLength() first for the datagram's full length).
   */
  take(buf: Uint8Array, off: number, len: number, name: Uint8Array, socklen: Int32Array): number {
    const h = this.head * ML.mmsgSize;
    const i32 = this.n.i32, b = this.n.bytes;
    const full = i32[(h + ML.mmsgLen) >> 2]! >>> 0;
    const n = Math.min(full, READ_SLOT, len);
    const src = this.data + this.head * READ_SLOT;
    if (n > 0) {
      if (n <= 64) for (let j = 0; j < n; j++) buf[off + j] = b[src + j]!;
      else buf.set(b.subarray(src, src + n), off);
    }
    const nl = Math.min(i32[(h + ML.namelen) >> 2]! >>> 0, NAME, name.byteLength);
    const at = this.names + this.head * NAME;
    for (let j = 0; j < nl; j++) name[j] = b[at + j]!;
    socklen[0] = nl;
    this.head++;
    if (this.head === this.count) this.head = this.count = 0;
    return n;
  }

  /** Forgets what it holds. */
  clear(): void { this.head = this.count = 0; }
  free(): void { this.clear(); this.n.free(); }
}

/** One datagram's results after SendRing.send: bytes sent, or -errno. */
export type SendResult = number;

/**
 * Datagrams queued for one sendmmsg: each copied in when queued (the
 * caller may reuse its buffer at once), with its own destination.
 */
export class SendRing {
  readonly cap: number;
  readonly dataCap: number;
  /** Datagrams queued, and how many of them went. */
  count = 0;
  sent = 0;
  private used = 0;
  private readonly n: Native;
  private readonly iovs: number;
  private readonly names: number;
  private readonly data: number;
  private readonly lens: Int32Array;

  constructor(cap: number, dataCap: number) {
    if (!IS_LINUX) throw new Error('netpoll: sendmmsg is Linux only');
    this.cap = cap;
    this.dataCap = dataCap;
    this.iovs = cap * ML.mmsgSize;
    this.names = this.iovs + cap * IOVEC_SIZE;
    this.data = this.names + cap * NAME;
    this.n = new Native(this.data + dataCap);
    this.lens = new Int32Array(cap);
    for (let i = 0; i < cap; i++) layHeader(this.n, i, -1, this.iovs + i * IOVEC_SIZE);
  }

  /** Room for one more datagram of len bytes. */
  fits(len: number): boolean { return this.count < this.cap && this.used + len <= this.dataCap; }

  /** Queues buf[off, off+len) to sa[0, saLen) (sa null: the connected peer); its index. */
  push(buf: Uint8Array, off: number, len: number, sa: Uint8Array | null, saLen: number): number {
    const i = this.count;
    const b = this.n.bytes;
    const at = this.data + this.used;
    if (len <= 64) for (let j = 0; j < len; j++) b[at + j] = buf[off + j]!;
    else b.set(buf.subarray(off, off + len), at);
    const iov = this.iovs + i * IOVEC_SIZE;
    const i32 = this.n.i32;
    this.n.setPtr(iov, at);
    this.n.setSmall(iov + 8, len);
    const h = i * ML.mmsgSize;
    if (sa === null || saLen === 0) {
      this.n.setSmall(h + ML.name, 0);
      i32[(h + ML.namelen) >> 2] = 0;
    } else {
      const nameAt = this.names + i * NAME;
      for (let j = 0; j < saLen; j++) b[nameAt + j] = sa[j]!;
      this.n.setPtr(h + ML.name, nameAt);
      i32[(h + ML.namelen) >> 2] = saLen;
    }
    this.lens[i] = len;
    this.used += (len + 7) & ~7;
    this.count++;
    return i;
  }

  /** The queued length of datagram i. */
  length(i: number): number { return this.lens[i]!; }

  /**
   * sendmmsg of the datagrams not yet sent (at most `max` of them): how
   * many went (sent advances), or -errno for the first of them.
   */
  send(fd: number, max: number): number {
    checkFd(fd);
    const k = Math.min(this.count - this.sent, max);
    if (k <= 0) return 0;
    sendmmsgC ??= fn('int sendmmsg(int fd, uintptr_t msgs, unsigned int vlen, int flags)');
    const res = r(sendmmsgC(fd, this.n.base + this.sent * ML.mmsgSize, k, C.MSG_NOSIGNAL));
    if (res > 0) this.sent += res;
    return res;
  }

  /** Empties the ring for reuse. */
  clear(): void { this.count = this.sent = this.used = 0; }
  free(): void { this.clear(); this.n.free(); }
}
