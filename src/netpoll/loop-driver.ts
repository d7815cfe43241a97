// The driver on Node's own loop: libuv watches the poller's descriptor (a
// poll handle on the calling thread's loop, uv-poll.ts); when it is readable
// the driver drains it (drain.ts). The handle holds the process open only
// while a task waits, like a Node socket.
import type { Poller, ReadyCallback } from '../poller/types.ts';
import { drain } from './drain.ts';
import { watchReadable, type LoopWatch } from './uv-poll.ts';

export interface Driver {
  ref(): void;
  unref(): void;
  close(): void;
}

// Handles still open when the process exits: Node's teardown runs the loop
// once more to close them, and no callback may be called into a dying
// environment (koffi aborts the process). Closed first on 'exit'.
const open = new Set<LoopDriver>();
let exitHooked = false;
function closeAtExit(): void {
  for (const d of open) d.close(true);
}

export class LoopDriver implements Driver {
  private readonly watch: LoopWatch;
  private closed = false;

  constructor(private readonly poller: Poller, private readonly onReady: ReadyCallback,
              private readonly onError: (e: unknown) => void) {
    this.watch = watchReadable(poller.fd, this.onReadable);
    this.watch.unref();
    open.add(this);
    if (!exitHooked) { exitHooked = true; process.on('exit', closeAtExit); }
  }

  private readonly onReadable = (status: number): void => {
    if (this.closed) return;
    if (status < 0) { this.onError(new Error(`netpoll: libuv poll on the poller failed (status ${status})`)); return; }
    try {
      drain(this.poller, this.onReady);
    } catch (e) {
      this.onError(e);
    }
  };

  ref(): void { if (!this.closed) this.watch.ref(); }
  unref(): void { if (!this.closed) this.watch.unref(); }

  /** atExit: the process is exiting; nothing may call back into JavaScript any more. */
  close(atExit = false): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    this.watch.close(atExit);
  }
}
