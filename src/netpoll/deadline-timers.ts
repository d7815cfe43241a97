// All deadline timers of one Netpoll in a binary min-heap, driven by one Node
// timer armed for the earliest. Each pd owns its two timer entries (Go's
// rt/wt) and moves them in place, so a deadline per read allocates nothing.
import { now, timerDelay } from './deadline.ts';

export interface DeadlineTimer {
  when: number;          // monotonic ms
  seq: number;           // the pd's rseq/wseq when armed: a stale firing is ignored
  index: number;         // position in the heap, -1 when not armed
  fire(seq: number): void;
}

export class DeadlineTimers {
  private readonly heap: DeadlineTimer[] = [];
  private node: NodeJS.Timeout | null = null;
  private nodeWhen = Infinity;

  get size(): number { return this.heap.length; }

  /** Arms t for `when` with `seq`, or moves it there if already armed (Go's modtimer). */
  reset(t: DeadlineTimer, when: number, seq: number): void {
    t.when = when;
    t.seq = seq;
    if (t.index < 0) {
      t.index = this.heap.length;
      this.heap.push(t);
      this.up(t.index);
    } else if (!this.up(t.index)) {
      this.down(t.index);
    }
    if (when < this.nodeWhen) this.arm();
  }

  stop(t: DeadlineTimer): void {
    const i = t.index;
    if (i < 0) return;
    const last = this.heap.pop()!;
    t.index = -1;
    if (last !== t) {
      this.heap[i] = last;
      last.index = i;
      if (!this.up(i)) this.down(i);
    }
    // The Node timer stays armed; when it fires early for nothing it re-arms.
  }

  /** Stops everything (shutdown). */
  clear(): void {
    for (const t of this.heap) t.index = -1;
    this.heap.length = 0;
    if (this.node) clearTimeout(this.node);
    this.node = null;
    this.nodeWhen = Infinity;
  }

  private arm(): void {
    const top = this.heap[0];
    if (this.node) clearTimeout(this.node);
    this.node = null;
    this.nodeWhen = Infinity;
    if (!top) return;
    // Node's timers have 1 ms granularity: round up, never fire early. A
    // deadline more than 2^31-1 ms ahead is reached in steps (Node would
    // clamp the delay to 1 ms): each early firing finds nothing due and re-arms.
    this.nodeWhen = top.when;
    this.node = setTimeout(this.run, timerDelay(top.when));
    // Waiters keep the process alive (the poll handle is ref'd while any
    // task waits); a deadline with nobody waiting must not.
    this.node.unref();
  }

  private readonly run = (): void => {
    this.node = null;
    this.nodeWhen = Infinity;
    const t0 = now();
    for (let top = this.heap[0]; top !== undefined && top.when <= t0; top = this.heap[0]) {
      this.stop(top);
      top.fire(top.seq);
    }
    if (this.heap.length > 0 && this.node === null) this.arm();
  };

  private up(i: number): boolean {
    const h = this.heap, t = h[i]!;
    const start = i;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (parent.when <= t.when) break;
      h[i] = parent; parent.index = i;
      i = p;
    }
    h[i] = t; t.index = i;
    return i !== start;
  }

  private down(i: number): void {
    const h = this.heap, n = h.length, t = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]!.when < h[c]!.when) c++;
      const child = h[c]!;
      if (child.when >= t.when) break;
      h[i] = child; child.index = i;
      i = c;
    }
    h[i] = t; t.index = i;
  }
}
