// The dedicated mode: a worker thread blocks in the kernel on the poller's
// descriptor (poll(2)) and tells this thread when it is
// readable; this thread then drains with poll(0) exactly as the loop driver
// does and re-arms the worker. wake() interrupts the worker's block, since
// the wake channel makes the poller's descriptor readable. The worker also
// watches a stop pipe of its own, so close() interrupts it even when the
// poller's descriptor number is already closed and reused. Use it where
// libuv's own poll cannot be reached; the loop driver is faster.
//
// The thread is never terminated from outside: Node aborts the process when
// a worker is terminated while it loads a native addon (koffi), so close()
// only tells it to stop and it leaves on its own; the process's exit waits
// (briefly, synchronously) for a thread still loading koffi to get past it.
// Node does stop it when the thread that owns it is itself terminated, and
// waits for it to stop: a thread inside poll(2) runs no JavaScript that could
// be stopped, so its poll times out every POLL_TIMEOUT_MS and polls again
// (without it, worker.terminate() of a thread using this driver never ends).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Poller, ReadyCallback } from '../poller/types.ts';
import { nonblockingPipe } from '../sys/descriptors.ts';
import { write } from '../sys/libc.ts';
import { closeOwned, own } from '../sys/thread-end.ts';
import { drain } from './drain.ts';
import type { Driver } from './loop-driver.ts';

const ARMED = 0, STOP = 1, READY = 2;
/** How long the process's exit waits for a worker still loading koffi. */
const EXIT_WAIT_MS = 5000;
const STOP_BYTE = new Uint8Array(1);
/** The poll thread's longest stay in the kernel: how long a terminated owner may wait for it. */
const POLL_TIMEOUT_MS = 500;

// Plain JavaScript so the worker needs no TypeScript loader. struct pollfd is
// { int fd; short events; short revents; } on every supported OS; POLLIN = 1.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const koffi = require(workerData.koffiPath);
const pollC = koffi.load(null).func('int poll(void *fds, unsigned long nfds, int timeout)');
const ctl = new Int32Array(workerData.ctl);
Atomics.store(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
const pfd = new DataView(new ArrayBuffer(16));
pfd.setInt32(0, workerData.fd, true);
pfd.setInt16(4, 1, true);
pfd.setInt32(8, workerData.stopFd, true);
pfd.setInt16(12, 1, true);
const EINTR = 4;
for (;;) {
  Atomics.wait(ctl, ${ARMED}, 0);
  if (Atomics.load(ctl, ${STOP})) break;
  const r = pollC(pfd.buffer, 2, ${POLL_TIMEOUT_MS});
  if (Atomics.load(ctl, ${STOP})) break;
  if (r === 0) continue;
  if (r < 0) {
    const e = koffi.errno();
    if (e === EINTR) continue;
    parentPort.postMessage(e);
    break;
  }
  Atomics.store(ctl, ${ARMED}, 0);
  parentPort.postMessage(0);
}
`;

// Every poll thread from its start until it has exited, for the process's exit.
const live = new Set<WorkerDriver>();
let exitHooked = false;
function onProcessExit(): void {
  for (const d of live) d.stopForExit();
}

/** Poll threads started and not yet exited (a closed driver's thread leaves shortly after). */
export function pollThreads(): number {
  return live.size;
}

export class WorkerDriver implements Driver {
  private readonly worker: Worker;
  private readonly ctl = new Int32Array(new SharedArrayBuffer(12));
  private closed = false;
  private readonly stopRd: number;
  private readonly stopWr: number;

  constructor(private readonly poller: Poller, private readonly onReady: ReadyCallback,
              private readonly onError: (e: unknown) => void) {
    const koffiPath = createRequire(import.meta.url).resolve('koffi');
    [this.stopRd, this.stopWr] = nonblockingPipe().map(own) as [number, number];
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { fd: poller.fd, stopFd: this.stopRd, ctl: this.ctl.buffer, koffiPath },
    });
    // The stop pipe outlives the thread that polls it.
    this.worker.once('exit', () => {
      live.delete(this);
      Atomics.store(this.ctl, READY, 1); // a thread that died loading koffi: nobody to wait for
      closeOwned(this.stopRd);
      closeOwned(this.stopWr);
    });
    this.worker.on('message', this.onMessage);
    this.worker.on('error', (e) => { if (!this.closed) this.onError(e); });
    this.worker.unref();
    live.add(this);
    if (!exitHooked) { exitHooked = true; process.on('exit', onProcessExit); }
    this.arm();
  }

  /**
   * @internal The process is exiting and Node will stop this thread: first
   * wake it out of poll(2) (a thread blocked in the kernel cannot be
   * stopped), and let it get past loading koffi (being stopped inside a
   * native addon's loading aborts the process).
   */
  stopForExit(): void {
    this.close();
    Atomics.wait(this.ctl, READY, 0, EXIT_WAIT_MS);
  }

  private arm(): void {
    Atomics.store(this.ctl, ARMED, 1);
    Atomics.notify(this.ctl, ARMED);
  }

  private readonly onMessage = (errno: number): void => {
    if (this.closed) return;
    if (errno !== 0) { this.onError(new Error(`netpoll: the poll worker failed with errno ${errno}`)); return; }
    try {
      drain(this.poller, this.onReady);
    } catch (e) {
      this.onError(e);
      return;
    }
    this.arm();
  };

  ref(): void { if (!this.closed) this.worker.ref(); }
  unref(): void { if (!this.closed) this.worker.unref(); }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, STOP, 1);
    write(this.stopWr, STOP_BYTE, 1); // interrupts poll(2); the thread then returns from its script
    this.arm();
  }
}
