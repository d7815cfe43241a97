// A datagram socket (Go's net.PacketConn: *UDPConn and *UnixConn on
// "unixgram"). Every operation is one system call under the FD's lock,
// through FD.rawRead/rawWrite, which park on the poller for readiness and
// honour deadlines, close and abort signals. A datagram is never split or
// joined: a zero-byte datagram reads as n = 0 (not end of stream), and one
// longer than the buffer is cut, which the caller can see (truncated).
import { FD, type ErrorWrapper } from '../fd/fd.ts';
import { rawConnOf, type RawConn } from '../fd/raw-conn.ts';
import { Netpoll } from '../netpoll/netpoll.ts';
import { adoptSocket, type AdoptOptions } from './file.ts';
import type { DeadlineInput } from '../netpoll/deadline.ts';
import { DeadlineExceededError, NetClosingError } from '../netpoll/errors.ts';
import { debug } from '../netpoll/debug.ts';
import { C } from '../sys/constants.ts';
import { M } from '../sys/msg-constants.ts';
import * as msg from '../sys/msg.ts';
import { endianness } from 'node:os';
import { encodeSockaddr, SIZEOF_SOCKADDR_STORAGE } from '../sys/sockaddr.ts';
import { IS_LINUX } from '../sys/platform.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { close as closeRaw } from '../sys/libc.ts';
import { Addr, AddrError, type PacketNetwork } from './addr.ts';
import { OpError, wrapError } from './errors.ts';
import { checkSendOob, readMsgOn, span, type ReadMsgResult } from './msg-io.ts';
import { joinGroup, type GroupInterface } from './multicast.ts';
import { PacketInfo } from './packet-info.ts';
import { RECEIVER_FULL, RecvFromOp, SendToOp } from './packet-ops.ts';
import { recvOne } from './recv-one.ts';
import { ReadAhead } from './packet-readahead.ts';
import { SendQueue } from './packet-sendq.ts';
import type { Family } from './sock.ts';

const EINTR = -C.EINTR, EAGAIN = -C.EAGAIN, ENOBUFS = -C.ENOBUFS;
const AF: Record<Family, number> = { inet4: C.AF_INET, inet6: C.AF_INET6, unix: C.AF_UNIX };
const LE = endianness() === 'LE';
/** A full unixgram receiver gives no writability edge: the write retries on a timer, up to this far apart. */
const MAX_BACKOFF_MS = 32;
/** Single-datagram flushes (see SendQueue.lonely) after which writes go at once: the writer awaits each. */
const LONELY_FLUSHES = 4;
/** While they do, one write in this many (a power of two) is queued again, to notice bursts. */
const PROBE_EVERY = 32;

/**
 * Go's ErrWriteToConnected: writeTo on a socket made by dialPacket. It
 * arrives as the cause of an OpError whose code is EISCONN.
 *
 * @example
 * try { await connected.writeTo(buf, addr); } catch (e) { if ((e as OpError).cause instanceof WriteToConnectedError) … }
 */
export class WriteToConnectedError extends Error {
  readonly code = 'EISCONN';
  readonly timeout = false;
  constructor() {
    super('use of writeTo with pre-connected connection');
    this.name = 'WriteToConnectedError';
  }
}

/** What readFrom resolves to: `const { n, addr, truncated } = await pc.readFrom(buf)`. */
export interface ReadFromResult {
  /** Bytes copied into the buffer; 0 for an empty datagram. */
  n: number;
  /** The sender (an unnamed Unix sender has path ''). */
  addr: Addr;
  /** The datagram was longer than the buffer: the rest was discarded. */
  truncated: boolean;
}

/**
 * How a PacketConn batches under its one-datagram calls (Linux; elsewhere
 * both are off). Neither changes what a read or write returns.
 *
 * @example
 * const pc = await listenPacket('udp', ':5353', { readAhead: false, coalesceWrites: false }); // one system call per datagram
 */
export interface PacketBatching {
  /**
   * Read-ahead (default true): while datagrams keep arriving faster than
   * they are read, one recvmmsg pulls several and the next reads are served
   * from them; sparse traffic reads one datagram per call. Turned off for
   * good once `fd` or syscallConn() is handed out or readMsg is used, since
   * another reader then shares the socket. Close discards held datagrams.
   */
  readAhead?: boolean;
  /**
   * Write coalescing (default true): a writeTo or write made while a burst
   * is served is copied at once and sent with the others of that turn in
   * one sendmmsg; each promise still settles with its own result or error.
   */
  coalesceWrites?: boolean;
}

/** Checks the batching options before any descriptor exists: each a boolean if given. */
export function checkBatching(opts: PacketBatching): void {
  for (const k of ['readAhead', 'coalesceWrites'] as const) {
    const v = opts[k];
    if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`netpoll: ${k} must be a boolean, got ${typeof v}`);
  }
}

/** A destination: an Addr, or the PacketInfo a datagram arrived with (a reply costs no encoding): `pc.writeTo(buf, from)`. */
export type PacketTarget = Addr | PacketInfo;

/** The family of sockaddr bytes without a DataView (the hot path of writeTo(buf, packetInfo)). */
function familyOf(b: Uint8Array): number {
  if (!IS_LINUX) return b[1]!;
  return LE ? b[0]! | (b[1]! << 8) : (b[0]! << 8) | b[1]!;
}

/** The common case of a range check in a few comparisons; false sends the caller to span() for the error. */
function inRange(buf: Uint8Array, offset: number, length: number): boolean {
  return buf instanceof Uint8Array && (offset >>> 0) === offset && (length >>> 0) === length && offset + length <= buf.byteLength;
}

/**
 * A datagram socket from listenPacket or dialPacket (Go's net.PacketConn,
 * *UDPConn, *UnixConn on unixgram): one datagram per read or write, never
 * split or joined; errors are OpErrors.
 *
 * @example
 * const pc = await listenPacket('unixgram', '/run/my.sock');
 * const buf = new Uint8Array(2048);
 * for (;;) {
 *   const { n, truncated } = await pc.readFrom(buf);
 *   if (!truncated) handle(buf.subarray(0, n));
 * }
 */
export class PacketConn implements AsyncDisposable, ErrorWrapper {
  /** 'udp', 'udp4', 'udp6' or 'unixgram'. */
  readonly network: PacketNetwork;
  private readonly pfd: FD;
  private readonly family: Family;
  private readonly local: Addr;
  private readonly peer: Addr | null;
  private isClosed = false;
  /** The write deadline as epoch ms (0: none), for writes that retry on a timer. */
  private wdeadline = 0;
  private lastTo: Addr | null = null;
  private lastSa: Uint8Array | null = null;
  private batch: { names: Uint8Array; info: msg.BatchInfo } | null = null;
  private rop: RecvFromOp | null = null;
  private wop: SendToOp | null = null;
  private readonly ahead: ReadAhead;
  private readonly sendq: SendQueue | null;
  /** A write went out on its own in this turn; the next one in the same turn is queued. */
  private wroteThisTurn = false;
  private probes = 0;
  private readonly turnOver = (): void => { this.wroteThisTurn = false; };

  /** @internal Made by listenPacket and dialPacket. */
  constructor(fd: FD, network: PacketNetwork, family: Family, local: Addr, peer: Addr | null, opts: PacketBatching = {}) {
    this.pfd = fd;
    this.ahead = new ReadAhead(opts.readAhead ?? true);
    this.sendq = (opts.coalesceWrites ?? true) && msg.HAS_MMSG
      ? new SendQueue(fd, family === 'unix', { wrapWrite: (e) => this.wrap('write', e), serving: () => this.ahead.held() > 0, pause: (ms) => this.pause(ms, undefined) })
      : null;
    this.network = network;
    this.family = family;
    this.local = local;
    this.peer = peer;
    // The FD's operations reject with OpErrors themselves: no wrapping promise per datagram.
    fd.errorWrapper = this;
  }

  /**
   * The descriptor underneath (Go's netFD.pfd), for setsockopt, rawRead and
   * the like. Handing it out turns read-ahead off for good: whoever holds it
   * may read the socket too, and must not miss datagrams held here.
   *
   * @example
   * const n = pc.fd.getsockoptInt(SOL_SOCKET, SO_RCVBUF);
   */
  get fd(): FD {
    this.ahead.disable();
    return this.pfd;
  }

  /** @internal For tests: datagrams read ahead and not yet served; written and not yet sent. */
  batchingState(): { held: number; queued: number; readAhead: boolean } {
    return { held: this.ahead.held(), queued: this.sendq?.pending ?? 0, readAhead: this.ahead.enabled };
  }

  /** The local end (Go's LocalAddr). */
  get localAddr(): Addr { return this.local; }
  /** The connected peer (dialPacket), or null. */
  get remoteAddr(): Addr | null { return this.peer; }
  /** True once close() was called. */
  get closed(): boolean { return this.isClosed || this.pfd.closed; }

  /**
   * Adopts a UDP or Unix datagram socket (Go's net.FilePacketConn): network,
   * local address and (if connected) peer asked of the kernel. Owns the
   * descriptor unless `dup: true`. A stream socket (SocketKindError) or a
   * pipe (ENOTSOCK) is refused with an OpError.
   *
   * @example
   * const pc = PacketConn.fromFd(3);    // a datagram socket passed by a supervisor
   */
  static fromFd(fd: number, opts: AdoptOptions & PacketBatching & { netpoll?: Netpoll } = {}): PacketConn {
    if (opts !== null && typeof opts === 'object') checkBatching(opts);
    const a = adoptSocket(fd, 'packet', opts);
    let pfd: FD;
    try {
      pfd = new FD(a.sysfd, { netpoll: Netpoll.of(opts.netpoll), isStream: false, zeroReadIsEOF: false });
    } catch (e) {
      if (a.sysfd !== fd) closeRaw(a.sysfd);
      throw new OpError({ op: 'file', net: 'file+net', cause: e });
    }
    return new PacketConn(pfd, a.network as PacketNetwork, a.family, a.local, a.peer, opts);
  }

  /** Go's SyscallConn: your own system calls on the socket under the poller. */
  syscallConn(): RawConn {
    this.ahead.disable();
    return rawConnOf(this.pfd, (op, e, signal) => this.wrap(op, e, signal));
  }

  private wrap(op: string, e: unknown, signal?: AbortSignal, addr?: Addr | null): unknown {
    return wrapError(e, { op, net: this.network, source: this.local, addr: addr ?? this.peer }, signal);
  }

  /** @internal The FD's error hook. */
  wrapError(op: 'read' | 'write', e: unknown, signal: AbortSignal | undefined): unknown {
    return this.wrap(op, e, signal);
  }

  // One reused record per direction while the FD's lock is free and no signal is given (FD's own rule).
  private recvOp(signal: AbortSignal | undefined): RecvFromOp {
    return signal === undefined && this.pfd.mu.isFree(true) ? (this.rop ??= new RecvFromOp(this.pfd, this.ahead)) : new RecvFromOp(this.pfd, this.ahead);
  }
  private sendOp(signal: AbortSignal | undefined): SendToOp {
    const unix = this.family === 'unix';
    return signal === undefined && this.pfd.mu.isFree(false) ? (this.wop ??= new SendToOp(this.pfd, unix)) : new SendToOp(this.pfd, unix);
  }

  // ---- reading ---------------------------------------------------------------

  /**
   * Reads one datagram into buf (at most length bytes at offset): its size,
   * its sender and whether it was cut. Go's ReadFrom.
   *
   * @example
   * const { n, addr, truncated } = await pc.readFrom(buf);
   */
  async readFrom(buf: Uint8Array, offset?: number, length?: number, signal?: AbortSignal): Promise<ReadFromResult> {
    const from = new PacketInfo();
    await this.readFromInto(buf, from, offset, length, signal);
    return { n: from.n, addr: from.addr(), truncated: from.truncated };
  }

  /**
   * readFrom without allocating per datagram (Go's ReadFromUDPAddrPort):
   * the size, truncation and sender land in `from`, which you keep and
   * reuse; resolves to that same object.
   *
   * @example
   * const from = new PacketInfo();
   * await pc.readFromInto(buf, from);
   * await pc.writeTo(buf, from, 0, from.n);
   */
  readFromInto(buf: Uint8Array, from: PacketInfo, offset?: number, length?: number, signal?: AbortSignal): Promise<PacketInfo> {
    const off = offset ?? 0;
    const len = length ?? (buf instanceof Uint8Array ? buf.byteLength - off : 0);
    if (!(from instanceof PacketInfo) || !inRange(buf, off, len)) {
      try {
        if (!(from instanceof PacketInfo)) throw new TypeError('netpoll: readFromInto needs a PacketInfo');
        span(buf, offset, length);
      } catch (e) {
        return Promise.reject(this.wrap('read', e, signal));
      }
    }
    // Replies written while held datagrams were served go out before the next wait (one sendmmsg).
    if (this.sendq !== null && this.ahead.held() === 0) this.sendq.flush();
    return this.recvOp(signal).set(buf, off, len, from, signal).run();
  }

  /** Reads one datagram (from anyone, or the peer when connected): its size, 0 for an empty one. Go's Read. */
  async read(buf: Uint8Array, offset?: number, length?: number, signal?: AbortSignal): Promise<number> {
    const from = new PacketInfo();
    await this.readFromInto(buf, from, offset, length, signal);
    return from.n;
  }

  /**
   * Reads one datagram with its control data (Go's ReadMsgUDP/ReadMsgUnix):
   * oob's length is the room for control messages; descriptors passed over
   * unixgram arrive close-on-exec. See ReadMsgResult for truncation.
   *
   * @example
   * const oob = new Uint8Array(cmsgSpace(4));
   * const { n, oobn } = await pc.readMsg(buf, oob);
   * const fds = parseUnixRights(oob, oobn);
   */
  async readMsg(buf: Uint8Array, oob: Uint8Array | null, signal?: AbortSignal): Promise<ReadMsgResult> {
    // Control data cannot be read ahead: from here on every read is its own system call.
    this.ahead.disable();
    if (this.ahead.held() > 0) {
      const from = new PacketInfo();
      await this.readFromInto(buf, from, 0, undefined, signal);
      return { n: from.n, oobn: 0, flags: from.truncated ? M.MSG_TRUNC : 0, truncated: from.truncated, controlTruncated: false, addr: from.addr() };
    }
    try {
      const [off, len] = span(buf, 0, undefined);
      return await readMsgOn(this.pfd, buf, off, len, oob, true, signal);
    } catch (e) {
      throw this.wrap('read', e, signal);
    }
  }

  /**
   * Reads up to bufs.length datagrams in one system call where the OS has
   * recvmmsg (Linux; elsewhere as many as are already queued, one call each),
   * waiting for the first. infos[i] gets datagram i's size, truncation and
   * sender. Resolves to how many arrived. Go's ipv4.PacketConn.ReadBatch.
   *
   * @example
   * const bufs = Array.from({ length: 32 }, () => new Uint8Array(1500));
   * const infos = bufs.map(() => new PacketInfo());
   * const k = await pc.readBatch(bufs, infos);
   */
  async readBatch(bufs: readonly Uint8Array[], infos: readonly PacketInfo[], signal?: AbortSignal): Promise<number> {
    try {
      if (!Array.isArray(bufs) || !Array.isArray(infos)) throw new TypeError('netpoll: readBatch takes arrays of buffers and PacketInfos');
      const count = Math.min(bufs.length, infos.length, msg.MAX_BATCH);
      if (count === 0) throw new RangeError('netpoll: readBatch needs at least one buffer and one PacketInfo');
      for (let i = 0; i < count; i++) {
        if (!(bufs[i] instanceof Uint8Array)) throw new TypeError(`netpoll: readBatch buffer ${i} is not a Uint8Array`);
        if (!(infos[i] instanceof PacketInfo)) throw new TypeError(`netpoll: readBatch info ${i} is not a PacketInfo`);
      }
      let res = 0;
      if (this.ahead.held() > 0) {
        let got = 0;
        await this.pfd.rawRead((sysfd) => {
          while (got < count && this.ahead.held() > 0) {
            const b = bufs[got]!;
            this.ahead.read(sysfd, b, 0, b.byteLength, infos[got]!, false);
            got++;
          }
          return true;
        }, signal);
        return got;
      }
      if (msg.HAS_MMSG) {
        const b = this.batchState(count);
        await this.pfd.rawRead((sysfd) => {
          do res = msg.recvmmsg(sysfd, bufs, count, b.names, 0, b.info); while (res === EINTR);
          return res !== EAGAIN;
        }, signal);
        if (res < 0) throw new SyscallError('recvmmsg', -res);
        for (let i = 0; i < res; i++) {
          const from = infos[i]!;
          from.setSockaddr(b.names.subarray(i * SIZEOF_SOCKADDR_STORAGE), b.info.nameLens[i]!);
          from.filled(b.info.lens[i]!, (b.info.flags[i]! & M.MSG_TRUNC) !== 0);
        }
        return res;
      }
      let got = 0;
      await this.pfd.rawRead((sysfd) => {
        while (got < count) {
          const b = bufs[got]!;
          res = recvOne(sysfd, b, 0, b.byteLength, infos[got]!);
          if (res < 0) return res !== EAGAIN || got > 0;
          got++;
        }
        return true;
      }, signal);
      if (got === 0 && res < 0) throw new SyscallError('recvmsg', -res);
      return got;
    } catch (e) {
      throw this.wrap('read', e, signal);
    }
  }

  private batchState(count: number): { names: Uint8Array; info: msg.BatchInfo } {
    let b = this.batch;
    if (b === null || b.info.lens.length < count) {
      const cap = Math.max(count, 8);
      b = this.batch = {
        names: new Uint8Array(cap * SIZEOF_SOCKADDR_STORAGE),
        info: { lens: new Int32Array(cap), flags: new Int32Array(cap), nameLens: new Int32Array(cap) },
      };
    }
    return b;
  }

  // ---- writing ---------------------------------------------------------------

  /**
   * Sends buf (length bytes at offset) as one datagram to `to`. A full
   * socket buffer parks the write until it drains (or the write deadline
   * passes). Go's WriteTo; not on a connected socket.
   *
   * @example
   * await pc.writeTo(new TextEncoder().encode('ping'), serverAddr);
   */
  writeTo(buf: Uint8Array, to: PacketTarget, offset?: number, length?: number, signal?: AbortSignal): Promise<number> {
    let sa: Uint8Array, saLen: number, off: number, len: number;
    try {
      if (this.peer !== null) throw new WriteToConnectedError();
      off = offset ?? 0;
      len = length ?? (buf instanceof Uint8Array ? buf.byteLength - off : 0);
      if (!inRange(buf, off, len)) span(buf, offset, length);
      [sa, saLen] = this.target(to);
    } catch (e) {
      return Promise.reject(this.wrap('write', e, signal, to instanceof Addr ? to : null));
    }
    const q = this.sendq;
    if (q !== null) {
      if (this.coalesce(q, len, signal)) return q.push(buf, off, len, sa, saLen);
      q.flush();
    }
    const p = this.sendOp(signal).set(buf, off, len, sa, saLen, signal).run();
    if (this.family !== 'unix') return p;
    return p.catch((e: unknown) => this.receiverFull(e, buf, off, len, sa, saLen, signal, to instanceof Addr ? to : null));
  }

  /** Sends buf as one datagram to the connected peer (dialPacket). Go's Write. */
  write(buf: Uint8Array, offset?: number, length?: number, signal?: AbortSignal): Promise<number> {
    const off = offset ?? 0;
    const len = length ?? (buf instanceof Uint8Array ? buf.byteLength - off : 0);
    if (!inRange(buf, off, len)) {
      try {
        span(buf, offset, length);
      } catch (e) {
        return Promise.reject(this.wrap('write', e, signal));
      }
    }
    const q = this.sendq;
    if (q !== null) {
      if (this.coalesce(q, len, signal)) return q.push(buf, off, len, null, 0);
      q.flush();
    }
    const p = this.sendOp(signal).set(buf, off, len, null, 0, signal).run();
    if (this.family !== 'unix') return p;
    return p.catch((e: unknown) => this.receiverFull(e, buf, off, len, null, 0, signal, null));
  }

  /**
   * A write joins the queue in a burst: datagrams held by read-ahead are
   * being served, writes are already queued, or another write went out in
   * this same turn (before any await). It then leaves with the others in
   * one sendmmsg. A lone write goes at once; so does a write with a signal,
   * and so do writes whose writer awaits each one (recent flushes carried
   * one datagram while the reader still held more), but for one in
   * PROBE_EVERY that checks whether bursts came back.
   */
  private coalesce(q: SendQueue, len: number, signal: AbortSignal | undefined): boolean {
    if (signal !== undefined || this.isClosed || len > SendQueue.MAX_QUEUED) return false;
    if (q.pending > 0) return true;
    let burst = this.ahead.held() > 0 || this.wroteThisTurn;
    if (burst && q.lonely >= LONELY_FLUSHES && (++this.probes & (PROBE_EVERY - 1)) !== 0) burst = false;
    if (!burst && !this.wroteThisTurn) {
      this.wroteThisTurn = true;
      queueMicrotask(this.turnOver);
    }
    return burst;
  }

  /** A unixgram send that met a full receiver goes on with sendLoop's timer retries; any other error stands. */
  private receiverFull(e: unknown, buf: Uint8Array, off: number, len: number, sa: Uint8Array | null, saLen: number,
                       signal: AbortSignal | undefined, to: Addr | null): Promise<number> {
    if ((e as { cause?: unknown } | null)?.cause !== RECEIVER_FULL) return Promise.reject(e);
    return this.sendSlow(buf, off, len, sa, saLen, signal, to);
  }

  /** unixgram sends: sendLoop's timer retries, with the error wrapped here. */
  private async sendSlow(buf: Uint8Array, off: number, len: number, sa: Uint8Array | null, saLen: number,
                         signal: AbortSignal | undefined, to: Addr | null): Promise<number> {
    try {
      return await this.sendLoop((sysfd) => msg.sendto(sysfd, buf, off, len, 0, sa, saLen), signal, sa === null ? 'write' : 'sendto', true);
    } catch (e) {
      throw this.wrap('write', e, signal, to);
    }
  }

  /**
   * Sends buf as one datagram with control data oob (unixRights(...) to
   * pass descriptors over unixgram) to `to`, or to the peer when connected.
   * Go's WriteMsgUDP/WriteMsgUnix.
   *
   * @example
   * await pc.writeMsg(new Uint8Array([1]), unixRights(fileFd), peerAddr);
   */
  async writeMsg(buf: Uint8Array, oob: Uint8Array | null, to?: PacketTarget | null, signal?: AbortSignal): Promise<number> {
    try {
      const [off, len] = span(buf, 0, undefined);
      const control = checkSendOob(oob, this.family === 'unix');
      if (to !== undefined && to !== null && this.peer !== null) throw new WriteToConnectedError();
      const [sa, saLen] = to === undefined || to === null ? [null, 0] : this.target(to);
      return await this.sendLoop((sysfd) => msg.sendmsg(sysfd, buf, off, len, control, sa, saLen, 0), signal, 'sendmsg');
    } catch (e) {
      throw this.wrap('write', e, signal, to instanceof Addr ? to : null);
    }
  }

  /**
   * Sends every buffer as its own datagram, bufs[i] to to[i] (to null when
   * connected), with as few sendmmsg calls as the kernel allows (Linux;
   * one sendto each elsewhere). Resolves to bufs.length once all went; a
   * failure's OpError carries messagesWritten.
   */
  async writeBatch(bufs: readonly Uint8Array[], to: readonly PacketTarget[] | null, signal?: AbortSignal): Promise<number> {
    let sent = 0;
    try {
      if (!Array.isArray(bufs)) throw new TypeError('netpoll: writeBatch takes an array of Uint8Array');
      if (to !== null && this.peer !== null) throw new WriteToConnectedError();
      if (to !== null && (!Array.isArray(to) || to.length < bufs.length)) throw new RangeError('netpoll: writeBatch needs an address for every datagram');
      for (let i = 0; i < bufs.length; i++) if (!(bufs[i] instanceof Uint8Array)) throw new TypeError(`netpoll: writeBatch buffer ${i} is not a Uint8Array`);
      const names = to === null ? null : to.slice(0, bufs.length).map((t) => { const [sa, n] = this.target(t); return sa.subarray(0, n); });
      while (sent < bufs.length) {
        const start = sent;
        if (msg.HAS_MMSG) {
          const k = Math.min(bufs.length - start, msg.MAX_BATCH);
          sent += await this.sendLoop((sysfd) => msg.sendmmsg(sysfd, bufs, start, k, names, 0), signal, 'sendmmsg');
        } else {
          const b = bufs[start]!, sa = names === null ? null : names[start]!;
          await this.sendLoop((sysfd) => msg.sendto(sysfd, b, 0, b.byteLength, 0, sa, sa === null ? 0 : sa.byteLength), signal, 'sendto');
          sent++;
        }
      }
      return sent;
    } catch (e) {
      const err = this.wrap('write', e, signal);
      if (err instanceof OpError) Object.defineProperty(err, 'messagesWritten', { value: sent, enumerable: true });
      throw err;
    }
  }

  /**
   * One send under the write lock. EAGAIN on udp parks until writable.
   * A unixgram receiver that is full gives the sender no writability edge
   * (and BSDs say ENOBUFS), so those retry on a short timer instead, until
   * the write deadline.
   */
  private async sendLoop(trySend: (sysfd: number) => number, signal: AbortSignal | undefined, syscall: string, retry = false): Promise<number> {
    // Queued datagrams go first: they were written before this one (a retry of an earlier write was not).
    if (!retry) this.sendq?.flush();
    const timerRetry = this.family === 'unix';
    let res = 0;
    const attempt = (sysfd: number): boolean => {
      do res = trySend(sysfd); while (res === EINTR);
      return res !== EAGAIN || timerRetry;
    };
    for (let backoff = 1; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
      await this.pfd.rawWrite(attempt, signal);
      if (res >= 0) return res;
      if (res !== EAGAIN && res !== ENOBUFS) throw new SyscallError(syscall, -res);
      await this.pause(backoff, signal);
    }
  }

  private pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const d = this.wdeadline;
    if (d !== 0) {
      const left = d - Date.now();
      if (left <= 0) return Promise.reject(new DeadlineExceededError());
      ms = Math.min(ms, left);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { clearTimeout(t); reject(signal!.reason); };
      const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The sockaddr bytes and length for a destination, checked against this socket's family. */
  private target(to: PacketTarget): [Uint8Array, number] {
    if (to instanceof PacketInfo) {
      const len = to.sockaddrLength;
      if (len < 2) throw new AddrError('missing address', '');
      const f = familyOf(to.sockaddr);
      if (f !== AF[this.family] && !(this.family === 'inet6' && f === C.AF_INET)) {
        throw new AddrError(`address family ${f} does not match this ${this.network} socket`, to.toString());
      }
      if (f === C.AF_INET && this.family === 'inet6') return this.encode(to.addr());
      return [to.sockaddr, len];
    }
    if (!(to instanceof Addr)) throw new TypeError('netpoll: the destination must be an Addr or a PacketInfo');
    if (to === this.lastTo && this.lastSa !== null) return [this.lastSa, this.lastSa.byteLength];
    return this.encode(to);
  }

  private encode(to: Addr): [Uint8Array, number] {
    const unixAddr = to.network === 'unix' || to.network === 'unixgram';
    if (unixAddr !== (this.family === 'unix') || to.network === 'tcp') {
      throw new AddrError(`a ${to.network} address cannot be used on a ${this.network} socket`, to.toString());
    }
    if (unixAddr && to.address === '') throw new AddrError('missing address', '');
    const { bytes, length } = encodeSockaddr(to.toSockaddr(this.family));
    const sa = bytes.subarray(0, length);
    this.lastTo = to;
    this.lastSa = sa;
    return [sa, length];
  }

  // ---- deadlines, options, close -----------------------------------------

  /** Both deadlines: a Date or epoch ms; null or 0 clears; a past one fails waiting operations at once. */
  setDeadline(d: DeadlineInput): void { this.deadline(d, 'rw'); }
  setReadDeadline(d: DeadlineInput): void { this.deadline(d, 'r'); }
  setWriteDeadline(d: DeadlineInput): void { this.deadline(d, 'w'); }

  private deadline(d: DeadlineInput, mode: 'r' | 'w' | 'rw'): void {
    this.control('set', () => {
      if (mode === 'r') this.pfd.setReadDeadline(d ?? null);
      else if (mode === 'w') this.pfd.setWriteDeadline(d ?? null);
      else this.pfd.setDeadline(d ?? null);
      if (mode !== 'r') this.wdeadline = d === null || d === undefined ? 0 : d instanceof Date ? d.getTime() : d;
    });
  }

  /** SO_RCVBUF (Go's SetReadBuffer). */
  setReadBuffer(bytes: number): void { this.intOption(C.SOL_SOCKET, C.SO_RCVBUF, bytes); }
  /** SO_SNDBUF (Go's SetWriteBuffer). */
  setWriteBuffer(bytes: number): void { this.intOption(C.SOL_SOCKET, C.SO_SNDBUF, bytes); }
  /** SO_BROADCAST (udp). */
  setBroadcast(on: boolean): void { this.intOption(C.SOL_SOCKET, M.SO_BROADCAST, on ? 1 : 0, true); }

  /** An int socket option's current value (SO_RCVBUF, SO_SNDBUF, SO_BROADCAST, …). */
  getsockoptInt(level: number, name: number): number {
    let v = 0;
    this.control('get', () => { v = this.pfd.getsockoptInt(level, name); });
    return v;
  }

  /**
   * Sets an int socket option (Go's syscall.SetsockoptInt through
   * SyscallConn, without handing the descriptor out, so read-ahead stays on).
   *
   * @example
   * pc.setsockoptInt(IPPROTO_IP, IP_MULTICAST_TTL, 4);
   */
  setsockoptInt(level: number, name: number, v: number): void {
    this.control('set', () => this.pfd.setsockoptInt(level, name, v));
  }

  private intOption(level: number, name: number, v: number, flag = false): void {
    if (!flag && (!Number.isInteger(v) || v <= 0 || v > 0x7fffffff)) throw new RangeError(`netpoll: buffer size must be a positive integer, got ${String(v)}`);
    this.control('set', () => this.pfd.setsockoptInt(level, name, v));
  }

  /**
   * Joins a multicast group on an interface (a name like 'eth0', an index,
   * or none: the kernel picks). Go's ListenMulticastUDP does this for you;
   * here it also works on any udp PacketConn.
   */
  joinGroup(group: string, iface?: GroupInterface): void {
    this.control('set', () => joinGroup(this.pfd, this.family, group, iface, true));
  }

  /** Leaves a group joined with joinGroup. */
  leaveGroup(group: string, iface?: GroupInterface): void {
    this.control('set', () => joinGroup(this.pfd, this.family, group, iface, false));
  }

  private control(op: string, f: () => void): void {
    if (this.isClosed) throw this.wrap(op, new NetClosingError());
    try {
      f();
    } catch (e) {
      throw this.wrap(op, e);
    }
  }

  /**
   * Closes the socket: parked reads and writes fail with the closed error;
   * settles once the descriptor is released. A second close throws.
   */
  close(): Promise<void> {
    if (this.isClosed) throw this.wrap('close', new NetClosingError());
    this.isClosed = true;
    // Queued datagrams were written before close: they go now if the socket takes them; held ones are discarded.
    this.sendq?.flush();
    this.ahead.release();
    const q = this.sendq;
    return this.pfd.close().finally(() => q?.release()).catch((e: unknown) => { debug('net: close fd %d: %o', this.pfd.sysfd, e); });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.isClosed) await this.close();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `PacketConn<${this.network} ${this.local.toString()}${this.peer ? `->${this.peer.toString()}` : ''}${this.isClosed ? ' closed' : ''}>`;
  }
}
