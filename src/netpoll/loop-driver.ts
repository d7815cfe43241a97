// The driver on Node's own loop: libuv watches the poller's descriptor
// (uv_poll through koffi, on the calling thread's loop); when it is readable
// the driver drains with poll(0) in bounded batches. libuv watches
// level-triggered, so whatever a bounded drain leaves is handed over again
// on the next loop turn. The handle holds the process open only while a
// task waits, like a Node socket.
import koffi from 'koffi';
import type { Poller, ReadyCallback } from '../poller/types.ts';

/** At most this many poll(0) calls per loop turn, so timers and I/O keep their turn. */
export const MAX_DRAINS_PER_TURN = 8;

export interface Driver {
  ref(): void;
  unref(): void;
  close(): void;
}

export class LoopDriver implements Driver {
  // Kept reachable for the poller's whole life: koffi's finalizer closes a
  // collected handle.
  private readonly handle: ReturnType<typeof koffi.node.poll>;
  private closed = false;

  constructor(private readonly poller: Poller, private readonly onReady: ReadyCallback,
              private readonly onError: (e: unknown) => void) {
    this.handle = koffi.node.poll(poller.fd, { readable: true }, this.onReadable as never);
    this.handle.unref();
  }

  // koffi's typings say cb(ev); it calls cb(status, ev).
  private readonly onReadable = (status: number): void => {
    if (this.closed) return;
    if (status < 0) { this.onError(new Error(`netpoll: libuv poll on the poller failed (status ${status})`)); return; }
    try {
      // libuv blocked on the poller for us: this poll counts as the blocking one.
      for (let i = 0; i < MAX_DRAINS_PER_TURN; i++) {
        // A short batch means the kernel had nothing more (a wake-up is not counted).
        if (this.poller.poll(0, this.onReady, true) < this.poller.batch - 1) break;
      }
    } catch (e) {
      this.onError(e);
    }
  };

  ref(): void { if (!this.closed) this.handle.ref(); }
  unref(): void { if (!this.closed) this.handle.unref(); }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.stop();
    this.handle.close();
  }
}
