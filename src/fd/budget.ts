// Fairness on Node's loop. A chain of reads and writes that all complete at
// once is a chain of microtasks: the loop never turns, so timers, accepts
// and the poller's own readiness callback starve. Go's scheduler polls
// between goroutines; here, after BUDGET operations without a loop turn the
// next one is put off to a later turn: either as a deferred operation the
// turn performs (read and write: a pending promise and a record the FD
// reuses, no async frame), or by awaiting nextTurn(). A turn performs at
// most BUDGET deferred operations, oldest first, so one turn stays short
// however many connections are busy: timers fire about on time.

/** Operations allowed per loop turn before one yields (tuned on the echo bench). */
export let BUDGET = 128;

let spent = 0;
let armed = false;
let turn: Promise<void> | null = null;
let resolveTurn: (() => void) | null = null;

/** An operation put off to a later turn; runDeferred performs it and settles its promise, never throws. */
export interface Deferred {
  runDeferred(): void;
}

// FIFO: what a turn leaves undone goes first on the next one.
let queue: Deferred[] = [];
let head = 0;

function arm(): void {
  if (!armed) { armed = true; setImmediate(onTurn); }
}

function onTurn(): void {
  armed = false;
  spent = 0;
  const r = resolveTurn;
  turn = null;
  resolveTurn = null;
  if (r) r();
  const q = queue;
  while (head < q.length && spent < BUDGET) {
    spent++;
    const d = q[head]!;
    q[head++] = undefined as unknown as Deferred; // let it go now, not at the next compaction
    d.runDeferred();
  }
  if (head === q.length) { q.length = 0; head = 0; return; }
  if (head >= 1024) { queue = q.slice(head); head = 0; }
  arm();
}

/** Performs d on a later loop turn (check phase), in FIFO order with the other deferred operations. */
export function defer(d: Deferred): void {
  queue.push(d);
  arm();
}

/**
 * Counts one operation. True: go on synchronously. False: the budget of this
 * turn is spent; defer the operation or await nextTurn() first.
 */
export function spend(): boolean {
  arm();
  return ++spent <= BUDGET;
}

/** Resolves on the next loop turn (check phase); one promise shared by all waiters. */
export function nextTurn(): Promise<void> {
  if (turn === null) {
    turn = new Promise<void>((resolve) => { resolveTurn = resolve; });
    arm();
  }
  return turn;
}

/** For tests and benchmarks. */
export function setBudget(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`netpoll: budget must be a positive integer, got ${String(n)}`);
  BUDGET = n;
}
