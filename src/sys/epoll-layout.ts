// struct epoll_event: packed (12 bytes) on x86_64, naturally aligned (16) on
// arm64 (the kernel's __EPOLL_PACKED on x86_64 only).
import { ARCH, type Arch } from './platform.ts';

export interface EpollLayout { readonly size: number; readonly events: number; readonly data: number; }

export function epollLayoutFor(arch: Arch): EpollLayout {
  return arch === 'x64' ? { size: 12, events: 0, data: 4 } : { size: 16, events: 0, data: 8 };
}

export const EPOLL_EVENT: EpollLayout = epollLayoutFor(ARCH);

/** A reusable array of epoll_event, decoded with a DataView: no allocation per event. */
export class EpollEventBuffer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  private readonly size: number;
  private readonly dataOff: number;
  constructor(readonly capacity: number, layout: EpollLayout = EPOLL_EVENT) {
    this.size = layout.size;
    this.dataOff = layout.data;
    this.bytes = new Uint8Array(capacity * layout.size);
    this.view = new DataView(this.bytes.buffer);
  }
  events(i: number): number { return this.view.getUint32(i * this.size, true); }
  dataLow(i: number): number { return this.view.getUint32(i * this.size + this.dataOff, true); }
  dataHigh(i: number): number { return this.view.getUint32(i * this.size + this.dataOff + 4, true); }
  /** data as a number: exact for safe integers. */
  data(i: number): number { return this.dataHigh(i) * 0x1_0000_0000 + this.dataLow(i); }
  set(i: number, events: number, dataHigh: number, dataLow: number): void {
    if (!(i >= 0 && i < this.capacity)) throw new RangeError(`netpoll: epoll_event index ${i} out of range`);
    const o = i * this.size;
    this.view.setUint32(o, events >>> 0, true);
    this.view.setUint32(o + this.dataOff, dataLow >>> 0, true);
    this.view.setUint32(o + this.dataOff + 4, dataHigh >>> 0, true);
  }
}
