// netpollWakeSig: an atomic 0/1 flag on shared memory, so any thread can
// wake the poller and concurrent wake-ups collapse into one kernel wake.
//
// Go never closes its poller; this one is closed by shutdown(), and a wake
// from another thread may be on its way to the kernel at that moment. Were
// the descriptor closed under it, its write could land in whatever took
// the number next. So every wake announces itself (BUSY) before it checks
// DEAD, and kill() sets DEAD and then waits until no wake is in flight:
// with sequentially consistent atomics, a wake either sees DEAD and makes
// no system call, or kill() sees it and waits for its system call to end
// before the poller closes anything.

const SIG = 0, DEAD = 1, BUSY = 2;
/** How long kill() waits at most for wakes in flight. */
const KILL_WAIT_MS = 100;
/** Bytes of shared memory a signal needs. */
export const WAKE_SIGNAL_BYTES = 12;

export class WakeSignal {
  readonly sab: SharedArrayBuffer;
  private readonly cell: Int32Array;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(WAKE_SIGNAL_BYTES)) {
    if (sab.byteLength < WAKE_SIGNAL_BYTES) throw new TypeError('netpoll: a wake signal needs 12 bytes of shared memory');
    this.sab = sab;
    this.cell = new Int32Array(sab, 0, 3);
  }

  /**
   * netpollBreak's front: runs kernelWake when this caller wins the 0→1
   * change of the flag (others find a wake already pending), never once
   * the poller is dead, and never while kill() may be closing descriptors.
   */
  wake(kernelWake: () => void): void {
    const c = this.cell;
    Atomics.add(c, BUSY, 1);
    try {
      if (Atomics.load(c, DEAD) === 0 && Atomics.compareExchange(c, SIG, 0, 1) === 0) kernelWake();
    } finally {
      if (Atomics.sub(c, BUSY, 1) === 1 && Atomics.load(c, DEAD) !== 0) Atomics.notify(c, BUSY);
    }
  }

  /** Only a blocking poll that consumed the wake event clears the flag. */
  clear(): void { Atomics.store(this.cell, SIG, 0); }

  get pending(): boolean { return Atomics.load(this.cell, SIG) !== 0; }

  /**
   * On shutdown, before the poller closes its descriptors: no later wake
   * makes a system call, and the ones already making it have finished.
   */
  kill(): void {
    const c = this.cell;
    Atomics.store(c, DEAD, 1);
    Atomics.store(c, SIG, 1);
    // A wake in flight is one write(2) or kevent(2): microseconds. The wait
    // is bounded all the same: a thread terminated in the middle of wake()
    // never takes its mark back, and it will never write either.
    const until = performance.now() + KILL_WAIT_MS;
    for (let b = Atomics.load(c, BUSY); b !== 0 && performance.now() < until; b = Atomics.load(c, BUSY)) {
      Atomics.wait(c, BUSY, b, 5);
    }
  }
}
