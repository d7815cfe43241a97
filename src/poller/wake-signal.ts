// netpollWakeSig: an atomic 0/1 flag on shared memory, so any thread can
// wake the poller and concurrent wake-ups collapse into one kernel wake.
// Slot 1 says the poller is gone: wakers then make no system call at all.

const SIG = 0, DEAD = 1;

export class WakeSignal {
  readonly sab: SharedArrayBuffer;
  private readonly cell: Int32Array;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(8)) {
    this.sab = sab;
    this.cell = new Int32Array(sab);
  }

  /** True when this caller must issue the kernel wake (the CAS 0→1 won). */
  claim(): boolean {
    if (Atomics.load(this.cell, DEAD) !== 0) return false;
    return Atomics.compareExchange(this.cell, SIG, 0, 1) === 0;
  }

  /** Only a blocking poll that consumed the wake event clears the flag. */
  clear(): void { Atomics.store(this.cell, SIG, 0); }

  get pending(): boolean { return Atomics.load(this.cell, SIG) !== 0; }

  /** On shutdown: no later claim() succeeds. */
  kill(): void { Atomics.store(this.cell, DEAD, 1); Atomics.store(this.cell, SIG, 1); }
}
