// Adaptive read-ahead under the one-datagram read API. When reads keep
// finding datagrams already queued (a burst), one recvmmsg pulls several
// into a native ring and the next reads are served from it without a
// system call; when traffic is sparse (a read had to wait), it falls back
// to one recvfrom per datagram. Nothing about a datagram changes: each is
// served whole, in arrival order, with its sender and its own truncation
// against the caller's buffer, and a zero-byte datagram is one. An error
// the kernel holds (ECONNREFUSED on connected UDP) comes on the next
// system call, after the datagrams pulled before it.
import { checkRange } from '../sys/bounds.ts';
import { C } from '../sys/constants.ts';
import { HAS_MMSG } from '../sys/msg.ts';
import { READ_SLOT, RecvRing } from '../sys/msg-ring.ts';
import type { PacketInfo } from './packet-info.ts';
import { recvOne } from './recv-one.ts';

const EINTR = -C.EINTR, EAGAIN = -C.EAGAIN;
/** The most datagrams one recvmmsg pulls ahead. */
export const MAX_READ_AHEAD = 32;

export class ReadAhead {
  /** Off for good once another reader may share the descriptor (fd or syscallConn handed out, readMsg used). */
  enabled: boolean;
  private ring: RecvRing | null = null;
  /** Datagrams the next recvmmsg asks for; 1: plain recvfrom. */
  private want = 1;
  /** Kernel reads in a row that found a datagram without waiting. */
  private streak = 0;

  constructor(enabled: boolean) { this.enabled = enabled && HAS_MMSG; }

  /** Datagrams pulled ahead and not yet served. */
  held(): number { const r = this.ring; return r === null ? 0 : r.count - r.head; }

  /**
   * One datagram into buf[off, off+len) and its sender into from: the
   * datagram's full length, or -errno (EAGAIN: nothing queued). waited:
   * this read had to wait for readiness (traffic is sparse).
   */
  read(sysfd: number, buf: Uint8Array, off: number, len: number, from: PacketInfo, waited: boolean): number {
    const ring = this.ring;
    if (ring !== null && ring.count > 0) return this.serve(ring, buf, off, len, from);
    if (!this.enabled || this.want === 1) {
      const res = recvOne(sysfd, buf, off, len, from);
      if (res >= 0 && this.enabled) {
        if (waited) this.streak = 0;
        else if (++this.streak >= 2) this.want = 2;
      }
      return res;
    }
    const r = (this.ring ??= new RecvRing(MAX_READ_AHEAD));
    let got: number;
    do got = r.fill(sysfd, this.want); while (got === EINTR);
    if (got < 0) return got;
    if (got === 0) return EAGAIN;
    // Sized to what came: double while every slot fills, back to one datagram a call once a read waits for a single one.
    if (got === this.want) this.want = Math.min(this.want * 2, MAX_READ_AHEAD);
    else if (waited && got === 1) { this.want = 1; this.streak = 0; }
    else this.want = Math.max(2, got * 2 > MAX_READ_AHEAD ? MAX_READ_AHEAD : got * 2);
    return this.serve(r, buf, off, len, from);
  }

  private serve(ring: RecvRing, buf: Uint8Array, off: number, len: number, from: PacketInfo): number {
    // Checked again: a buffer shrunk while the read waited is a RangeError, as recvfrom's own check makes it.
    checkRange(buf, off, len);
    const full = ring.headLength();
    const n = ring.take(buf, off, len, from.sockaddr, from.socklen);
    // Cut by the caller's buffer, or (a unixgram datagram over READ_SLOT) by the ring itself: either way the caller is told.
    from.filled(n, n < full);
    return full;
  }

  /** Stops reading ahead; datagrams already held are still served first. */
  disable(): void { this.enabled = false; }

  /** Close: the held datagrams are discarded and the ring given back. */
  release(): void {
    this.enabled = false;
    const r = this.ring;
    this.ring = null;
    r?.free();
  }
}

export { READ_SLOT };
