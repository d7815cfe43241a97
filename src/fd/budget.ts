// Fairness on Node's loop. A chain of reads and writes that all complete at
// once is a chain of microtasks: the loop never turns, so timers, accepts
// and the poller's own readiness callback starve. Go's scheduler polls
// between goroutines; here, after BUDGET operations without a loop turn the
// next one waits for one setImmediate shared by every descriptor: either
// as a deferred operation the turn performs (read and write: a pending
// promise and a small record, no async frame), or by awaiting nextTurn().

/** Operations allowed per loop turn before one yields (tuned on the echo bench). */
export let BUDGET = 128;

let spent = 0;
let armed = false;
let turn: Promise<void> | null = null;
let resolveTurn: (() => void) | null = null;

/** An operation put off to the next turn; runDeferred performs it and settles its promise, never throws. */
export interface Deferred {
  runDeferred(): void;
}

// Two arrays swapped each turn: what a deferred operation defers again waits for the turn after.
let deferred: Deferred[] = [];
let spare: Deferred[] = [];

function onTurn(): void {
  armed = false;
  spent = 0;
  const r = resolveTurn;
  turn = null;
  resolveTurn = null;
  if (r) r();
  if (deferred.length === 0) return;
  const q = deferred;
  deferred = spare;
  for (let i = 0; i < q.length; i++) q[i]!.runDeferred();
  q.length = 0;
  spare = q;
}

/** Performs d on the next loop turn (check phase), in FIFO order with the other deferred operations. */
export function defer(d: Deferred): void {
  deferred.push(d);
  if (!armed) { armed = true; setImmediate(onTurn); }
}

/**
 * Counts one operation. True: go on synchronously. False: the budget of this
 * turn is spent; await nextTurn() first.
 */
export function spend(): boolean {
  if (!armed) {
    armed = true;
    setImmediate(onTurn);
  }
  return ++spent <= BUDGET;
}

/** Resolves on the next loop turn (check phase); one promise shared by all waiters. */
export function nextTurn(): Promise<void> {
  if (turn === null) {
    turn = new Promise<void>((resolve) => { resolveTurn = resolve; });
    if (!armed) { armed = true; setImmediate(onTurn); }
  }
  return turn;
}

/** For tests and benchmarks. */
export function setBudget(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`netpoll: budget must be a positive integer, got ${String(n)}`);
  BUDGET = n;
}
