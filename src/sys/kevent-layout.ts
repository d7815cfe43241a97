// struct kevent as each OS's libc lays it out (sys/event.h of each system).
// The user-space kqueue on Linux uses FreeBSD's 32-byte layout.
import { ARCH, OS_NAME, type Arch, type OS } from './platform.ts';

export interface KeventLayout {
  readonly size: number;
  readonly ident: number;   // u64 (uintptr_t)
  readonly filter: number;
  readonly filterBytes: 2 | 4;  // int16 everywhere but NetBSD (uint32)
  readonly flags: number;
  readonly flagsBytes: 2 | 4;
  readonly fflags: number;  // u32
  readonly data: number;    // i64
  readonly udata: number;   // pointer-sized; 64-bit on every supported arch
}

const common32: KeventLayout = { size: 32, ident: 0, filter: 8, filterBytes: 2, flags: 10, flagsBytes: 2, fflags: 12, data: 16, udata: 24 };

export function keventLayoutFor(os: OS, _arch: Arch): KeventLayout {
  switch (os) {
    case 'netbsd':
      return { size: 40, ident: 0, filter: 8, filterBytes: 4, flags: 12, flagsBytes: 4, fflags: 16, data: 24, udata: 32 };
    case 'freebsd':
      // FreeBSD >= 12's libc kevent() takes the 64-byte struct with ext[4].
      return { ...common32, size: 64 };
    default:
      // darwin, openbsd, dragonfly, and the user-space kqueue on Linux.
      return common32;
  }
}

export const KEVENT: KeventLayout = keventLayoutFor(OS_NAME, ARCH);

/** Reads and writes kevents in a byte buffer without allocating. */
export class KeventBuffer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  constructor(readonly capacity: number, readonly layout: KeventLayout = KEVENT) {
    this.bytes = new Uint8Array(capacity * layout.size);
    this.view = new DataView(this.bytes.buffer);
  }
  private at(i: number): number {
    if (!(i >= 0 && i < this.capacity)) throw new RangeError(`netpoll: kevent index ${i} out of 0..${this.capacity - 1}`);
    return i * this.layout.size;
  }
  set(i: number, ident: number, filter: number, flags: number, fflags: number, data: number, udata: number): void {
    const o = this.at(i), L = this.layout, v = this.view;
    this.bytes.fill(0, o, o + L.size);
    setU64(v, o + L.ident, ident);
    if (L.filterBytes === 2) v.setInt16(o + L.filter, filter, true); else v.setInt32(o + L.filter, filter, true);
    if (L.flagsBytes === 2) v.setUint16(o + L.flags, flags, true); else v.setUint32(o + L.flags, flags, true);
    v.setUint32(o + L.fflags, fflags >>> 0, true);
    setU64(v, o + L.data, data);
    setU64(v, o + L.udata, udata);
  }
  ident(i: number): number { return getU64(this.view, i * this.layout.size + this.layout.ident); }
  filter(i: number): number {
    const o = i * this.layout.size + this.layout.filter;
    return this.layout.filterBytes === 2 ? this.view.getInt16(o, true) : this.view.getInt32(o, true);
  }
  flags(i: number): number {
    const o = i * this.layout.size + this.layout.flags;
    return this.layout.flagsBytes === 2 ? this.view.getUint16(o, true) : this.view.getUint32(o, true);
  }
  fflags(i: number): number { return this.view.getUint32(i * this.layout.size + this.layout.fflags, true); }
  data(i: number): number { return getI64(this.view, i * this.layout.size + this.layout.data); }
  udata(i: number): number { return getU64(this.view, i * this.layout.size + this.layout.udata); }
  /** udata's high 32 bits alone: cheap test for a sentinel without building a number. */
  udataHigh(i: number): number { return this.view.getUint32(i * this.layout.size + this.layout.udata + 4, true); }
}

const TWO32 = 0x1_0000_0000;

/** Little-endian u64 from a safe integer (or a sentinel with all high bits set). */
export function setU64(v: DataView, o: number, n: number): void {
  if (n < 0) { // negative: two's complement (used for i64 data)
    const hi = Math.floor(n / TWO32);
    v.setUint32(o, (n - hi * TWO32) >>> 0, true);
    v.setInt32(o + 4, hi, true);
    return;
  }
  v.setUint32(o, n % TWO32, true);
  v.setUint32(o + 4, Math.floor(n / TWO32), true);
}
/** Little-endian u64 as a number; exact below 2^53. */
export function getU64(v: DataView, o: number): number {
  return v.getUint32(o + 4, true) * TWO32 + v.getUint32(o, true);
}
export function getI64(v: DataView, o: number): number {
  return v.getInt32(o + 4, true) * TWO32 + v.getUint32(o, true);
}
