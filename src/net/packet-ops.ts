// The per-datagram operations of PacketConn in FD's op shape (fd/ops.ts):
// Op runs Go's order (lock, prepare, try, park) and these only say how to
// try once. A PacketConn keeps one record of each and reuses it whenever
// the FD's lock is free and no signal is given, so a read or write that
// completes at once allocates nothing: no closure, no async frame, and an
// already-settled promise (the PacketInfo's own, or a shared one per count).
import { SyscallError } from '../sys/syscall-error.ts';
import { C } from '../sys/constants.ts';
import * as msg from '../sys/msg.ts';
import { Op, type OpHost } from '../fd/ops.ts';
import { settled } from '../fd/op-kinds.ts';
import type { PacketInfo } from './packet-info.ts';
import type { ReadAhead } from './packet-readahead.ts';
import { recvOne } from './recv-one.ts';

const EINTR = -C.EINTR, EAGAIN = -C.EAGAIN, ENOBUFS = -C.ENOBUFS;

/**
 * A unixgram send found the receiver full (EAGAIN, or ENOBUFS on the BSDs).
 * No writability edge follows that, so the op does not park: it fails with
 * this one shared error and PacketConn retries on a timer.
 */
export const RECEIVER_FULL = new SyscallError('sendto', C.EAGAIN);
const EMPTY = new Uint8Array(0);
/** readFromInto: one datagram and its sender; resolves to the PacketInfo. */
export class RecvFromOp extends Op<PacketInfo> {
  private buf: Uint8Array = EMPTY;
  private off = 0;
  private len = 0;
  private from: PacketInfo | null = null;
  /** This read had to wait for readiness: the read-ahead's hint that traffic is sparse. */
  private waited = false;
  protected readonly mode = 'r';
  protected override readonly wraps = 'read';

  constructor(fd: OpHost, private readonly ahead: ReadAhead) { super(fd); }

  set(buf: Uint8Array, off: number, len: number, from: PacketInfo, signal: AbortSignal | undefined): this {
    this.buf = buf;
    this.off = off;
    this.len = len;
    this.from = from;
    this.signal = signal;
    this.waited = false;
    return this;
  }

  protected attempt(): boolean {
    // The range is checked again inside recvfrom: a buffer shrunk while the read waited is a RangeError.
    const res = this.ahead.read(this.fd.sysfd, this.buf, this.off, this.len, this.from!, this.waited);
    if (res >= 0) return true;
    if (res === EAGAIN) { this.waited = true; return false; }
    throw new SyscallError(msg.RECV_TRUNC_REPORTS_LENGTH ? 'recvfrom' : 'recvmsg', -res);
  }

  protected value(): PacketInfo { return this.from!; }
  protected override settledNow(v: PacketInfo): Promise<PacketInfo> { return v.settled(); }
  protected cannotWait(): Error { return new SyscallError('recvfrom', C.EAGAIN); }
  protected override clearArgs(): void { this.buf = EMPTY; this.from = null; }
}

/** writeTo / write: one sendto; on udp EAGAIN parks until writable. Resolves to the bytes sent. */
export class SendToOp extends Op<number> {
  private buf: Uint8Array = EMPTY;
  private off = 0;
  private len = 0;
  private sa: Uint8Array | null = null;
  private saLen = 0;
  private n = 0;
  protected readonly mode = 'w';
  protected override readonly wraps = 'write';

  /** unix: a full receiver is RECEIVER_FULL instead of a park. */
  constructor(fd: OpHost, private readonly unix: boolean) { super(fd); }

  set(buf: Uint8Array, off: number, len: number, sa: Uint8Array | null, saLen: number, signal: AbortSignal | undefined): this {
    this.buf = buf;
    this.off = off;
    this.len = len;
    this.sa = sa;
    this.saLen = saLen;
    this.signal = signal;
    return this;
  }

  protected attempt(): boolean {
    let res: number;
    do res = msg.sendto(this.fd.sysfd, this.buf, this.off, this.len, 0, this.sa, this.saLen); while (res === EINTR);
    if (res >= 0) { this.n = res; return true; }
    if (this.unix && (res === EAGAIN || res === ENOBUFS)) throw RECEIVER_FULL;
    if (res === EAGAIN) return false;
    throw new SyscallError(this.sa === null ? 'write' : 'sendto', -res);
  }

  protected value(): number { return this.n; }
  protected override settledNow(v: number): Promise<number> { return settled(v); }
  protected cannotWait(): Error { return new SyscallError('sendto', C.EAGAIN); }
  protected override clearArgs(): void { this.buf = EMPTY; this.sa = null; }
}
