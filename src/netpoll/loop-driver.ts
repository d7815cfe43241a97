// The driver on Node's own loop: libuv watches the poller's descriptor
// (uv_poll through koffi, on the calling thread's loop); when it is readable
// the driver drains it (drain.ts). The handle holds the process open only
// while a task waits, like a Node socket.
import koffi from 'koffi';
import type { Poller, ReadyCallback } from '../poller/types.ts';
import { drain } from './drain.ts';

export interface Driver {
  ref(): void;
  unref(): void;
  close(): void;
}

// Handles still open when the process exits: Node's teardown runs the loop
// once more to close them, and koffi's poll callback must not be called
// into a dying environment (it aborts the process). Closed first on 'exit'.
const open = new Set<LoopDriver>();
let exitHooked = false;
function closeAtExit(): void {
  for (const d of open) d.close();
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
    open.add(this);
    if (!exitHooked) { exitHooked = true; process.on('exit', closeAtExit); }
  }

  // koffi's typings say cb(ev); it calls cb(status, ev).
  private readonly onReadable = (status: number): void => {
    if (this.closed) return;
    if (status < 0) { this.onError(new Error(`netpoll: libuv poll on the poller failed (status ${status})`)); return; }
    try {
      drain(this.poller, this.onReady);
    } catch (e) {
      this.onError(e);
    }
  };

  ref(): void { if (!this.closed) this.handle.ref(); }
  unref(): void { if (!this.closed) this.handle.unref(); }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    this.handle.stop();
    this.handle.close();
  }
}
