// The self-pipe wake-up (Go's netpoll_kqueue_pipe.go, for NetBSD and
// OpenBSD): the read end in the kqueue, level-triggered; a wake is a byte.
import { C } from '../sys/constants.ts';
import { nonblockingPipe } from '../sys/descriptors.ts';
import { KeventBuffer } from '../sys/kevent-layout.ts';
import { read, type KqueueCalls } from '../sys/libc.ts';
import { closeOwned, own } from '../sys/thread-end.ts';
import type { WakerHandle } from './types.ts';
import { keventChange } from './wakeup-kevent.ts';
import { writeWake, type Wakeup } from './wakeup.ts';

const BYTE = new Uint8Array(1);

export class PipeWakeup implements Wakeup<KeventBuffer> {
  private readonly rd: number;
  private readonly wr: number;
  private readonly drain = new Uint8Array(16);

  /** addWakeupEvent: a non-blocking pipe, its read end as EVFILT_READ on kq. */
  constructor(sys: KqueueCalls, kq: number) {
    [this.rd, this.wr] = nonblockingPipe().map(own) as [number, number];
    const add = new KeventBuffer(1);
    // Level-triggered: a wake left by a non-blocking poll fires again.
    add.set(0, this.rd, C.EVFILT_READ, C.EV_ADD, 0, 0, 0);
    try {
      keventChange(sys, kq, add);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** wakeNetpoll: one byte down the pipe (a full pipe already wakes). */
  wakeNetpoll(): void { writeWake(this.wr, BYTE); }

  /** isWakeup */
  isWakeup(events: KeventBuffer, i: number): boolean {
    return events.filter(i) === C.EVFILT_READ && events.ident(i) === this.rd;
  }

  /** drainWakeupEvent: a blocking poll empties the pipe; a non-blocking one leaves the byte for it. */
  drainWakeupEvent(asBlocking: boolean): void {
    if (asBlocking) read(this.rd, this.drain, this.drain.length);
  }

  owns(fd: number): boolean { return fd >= 0 && (fd === this.rd || fd === this.wr); }
  handle(sig: SharedArrayBuffer): WakerHandle { return { kind: 'pipe', fd: this.wr, sig }; }
  close(): void { closeOwned(this.rd); closeOwned(this.wr); }
}

/** wakeNetpoll from another thread, for a 'pipe' handle. */
export function pipeWakeFrom(fd: number): () => void {
  return () => writeWake(fd, BYTE);
}
