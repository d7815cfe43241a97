// Fairness on Node's loop. A chain of reads and writes that all complete at
// once is a chain of microtasks: the loop never turns, so timers, accepts
// and the poller's own readiness callback starve. Go's scheduler polls
// between goroutines; here, after BUDGET operations without a loop turn the
// next one first awaits one setImmediate shared by every descriptor.

/** Operations allowed per loop turn before one yields (tuned on the echo bench). */
export let BUDGET = 128;

let spent = 0;
let armed = false;
let turn: Promise<void> | null = null;
let resolveTurn: (() => void) | null = null;

function onTurn(): void {
  armed = false;
  spent = 0;
  const r = resolveTurn;
  turn = null;
  resolveTurn = null;
  if (r) r();
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
