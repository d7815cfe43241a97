// Fairness on Node's loop (Go's preemption after a time slice). A chain of
// reads and writes that all complete at once is a chain of microtasks: the
// loop never turns, so timers, accepts and the poller's own readiness
// callback starve. Here each operation counts against the slice of the
// current loop turn; once the slice is over (or BUDGET operations ran) the
// next ones are put off to a later turn: as a deferred operation the turn
// performs (read and write: a pending promise and a record the FD reuses,
// no async frame), or by awaiting nextTurn(). A turn performs deferred
// operations, oldest first, only until its own slice is over, so one turn
// stays short however many connections are busy.
//
// How long a slice lasts is keyed to what waits for the loop: it ends when
// the loop's next timer is due (loop-timers.ts), and after SLICE_MS at most
// (Go's sysmon preempts after 10 ms too), so other I/O and setImmediate
// callbacks still get a turn. Ending it sooner costs throughput and the
// tail: every operation past the slice takes a later turn (at 1000 busy
// connections a fixed 2 ms slice put off ~1.8 operations per round trip).
// A turn whose timer is already due still gets MIN_SLICE_MS, so work moves.
//
// A drain first performs what earlier turns put off (runQueued(): oldest
// work first, as Go's scheduler takes its run queues before a netpoll),
// then harvests readiness until half the slice is used (HARVEST_SHARE;
// at least one batch, however much the put-off work took). The tasks it
// wakes run after it, as microtasks, and their first operation (an echo's
// write) may still go at once past the slice's end, one per event
// harvested (grant()). Putting those off instead made them wait behind the
// next drain's wake-ups (the poll phase comes before the check phase where
// put-off work otherwise runs): at 1000 busy connections that was ~0.5
// operations put off per round trip and twice the p99 latency. Under a
// backlog of put-off work that outlasts the slice, the older tasks resumed
// first take those grants too, and the newly woken ones queue behind them:
// FIFO, as in Go.
//
// A slice starts when the drivers drain the poller (every readiness
// callback is a loop turn: startSlice() reads the clock there, so the
// drain's own reads count) and when deferred work runs. Nothing is
// scheduled while the slice lasts: an echo at low load costs no extra loop
// iteration. Operations started from elsewhere (a timer callback) after a
// long quiet spell may find an old slice and be put off by one turn.

/**
 * The default longest slice, in milliseconds.
 *
 * @example setTimeSlice(DEFAULT_TIME_SLICE_MS); // back to the default
 */
export const DEFAULT_TIME_SLICE_MS = 10;
/** Milliseconds of operations per loop turn at most (setTimeSlice). */
export let SLICE_MS = DEFAULT_TIME_SLICE_MS;
/** The shortest slice: a turn whose timer is already due still makes progress. */
export const MIN_SLICE_MS = 0.5;
/** The longest slice where the loop's timers cannot be seen (a worker thread): short enough for a 10 ms timer. */
export const BLIND_SLICE_MS = 2;
/** Operations per loop turn at most, whatever the clock says. */
export const DEFAULT_BUDGET = 8192;
export let BUDGET = DEFAULT_BUDGET;
/** The clock is read once per this many operations. */
const CLOCK_EVERY = 16;
/** The share of a slice a drain spends harvesting; the tasks it wakes have the rest. */
export const HARVEST_SHARE = 0.5;

import { msUntilNextTimer } from './loop-timers.ts';
import { counters } from './stats.ts';
const now: () => number = performance.now.bind(performance);

let spent = 0;
/** When the slice started (performance.now()); -1: at the clock's first reading. */
let sliceStart = -1;
/**
 * When it ends; -1: not asked yet. Found only once a turn has run a while
 * (the clock's first reading, or a drain's full batch): asking for the next
 * timer takes a few FFI calls, which a turn of a few operations (an echo at
 * low load: one per wake-up) should not pay.
 */
let sliceEnd = -1;
let exhausted = false;
/** Operations that may still go at once this turn though the slice is spent (grant()). */
let grace = 0;
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

/** The loop turned: a new slice. Called by the drivers before each drain. */
export function newTurn(): void {
  spent = 0;
  grace = 0;
  exhausted = false;
  sliceStart = -1;
  sliceEnd = -1;
}

/** How long a slice starting at t lasts: until the loop's next timer, within [MIN_SLICE_MS, SLICE_MS]. */
export function sliceLength(t: number): number {
  const untilTimer = msUntilNextTimer(t);
  if (Number.isNaN(untilTimer)) return SLICE_MS < BLIND_SLICE_MS ? SLICE_MS : BLIND_SLICE_MS; // timers unseen
  if (untilTimer >= SLICE_MS) return SLICE_MS;
  const floor = SLICE_MS < MIN_SLICE_MS ? SLICE_MS : MIN_SLICE_MS;
  return untilTimer > floor ? untilTimer : floor;
}

/** A new turn whose slice starts now (the drivers, before a drain: its reads count too). */
export function startSlice(): void {
  newTurn();
  sliceStart = now();
}

/** Reads the clock; past the slice's end (found on first need), the turn is spent. */
function timeIsUp(): boolean {
  const t = now();
  if (sliceEnd < 0) {
    const s = sliceStart >= 0 ? sliceStart : t;
    sliceEnd = s + sliceLength(s);
  }
  return t > sliceEnd && overrun();
}

/** The slice is spent: later operations of this turn are put off (but for a drain's grant). Returns true. */
function overrun(): boolean {
  exhausted = true;
  counters.sliceOverruns++;
  return true;
}

function arm(): void {
  if (!armed) {
    armed = true;
    setImmediate(onTurn);
  }
}

/**
 * Counts one operation against this turn's slice. True: go on
 * synchronously (within the slice, or on a drain's grant). False: the
 * slice is spent; defer the operation or await nextTurn() first.
 */
export function spend(): boolean {
  if (exhausted) return useGrace();
  const n = ++spent;
  if (n > BUDGET) { overrun(); return useGrace(); }
  return n % CLOCK_EVERY !== 0 || !timeIsUp() || useGrace();
}

function useGrace(): boolean {
  if (grace === 0) return false;
  grace--;
  return true;
}

/** The drain woke tasks for n events: as many of their operations may still go at once this turn. */
export function grant(n: number): void {
  grace += n;
}

function onTurn(): void {
  armed = false;
  startSlice();
  const r = resolveTurn;
  turn = null;
  resolveTurn = null;
  if (r) r();
  if (!runQueued()) arm();
}

/**
 * Performs put-off operations, oldest first, while this turn's slice
 * lasts; true when none is left. The check phase calls it, and so does a
 * drain before it harvests (see the top of this file).
 */
export function runQueued(): boolean {
  const q = queue;
  while (head < q.length && spend()) {
    const d = q[head]!;
    q[head++] = undefined as unknown as Deferred; // let it go now, not at the next compaction
    d.runDeferred();
  }
  if (head === q.length) { q.length = 0; head = 0; return true; }
  if (head >= 1024) { queue = q.slice(head); head = 0; }
  return false; // still armed: only onTurn clears that, and it re-arms when it leaves work
}

/** Performs d on a later loop turn (check phase), in FIFO order with the other deferred operations. */
export function defer(d: Deferred): void {
  counters.budgetDeferrals++;
  queue.push(d);
  arm();
}

/** True once this turn's slice is spent or its time is over. */
export function sliceSpent(): boolean {
  if (!exhausted && (sliceStart >= 0 || sliceEnd >= 0)) timeIsUp();
  return exhausted;
}

/** True once a drain has harvested for HARVEST_SHARE of the slice (or the slice is spent): it stops there. */
export function harvestSpent(): boolean {
  if (sliceSpent()) return true;
  // A drain's slice has a start, and sliceSpent() has found its end.
  return sliceStart >= 0 && now() - sliceStart > (sliceEnd - sliceStart) * HARVEST_SHARE;
}

/** Resolves on the next loop turn (check phase); one promise shared by all waiters. */
export function nextTurn(): Promise<void> {
  if (turn === null) {
    turn = new Promise<void>((resolve) => { resolveTurn = resolve; });
    arm();
  }
  return turn;
}

/** For tests and benchmarks: at most n operations per turn. */
export function setBudget(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`netpoll: budget must be a positive integer, got ${String(n)}`);
  BUDGET = n;
}

/**
 * For tests and benchmarks: the longest time slice of one turn, in
 * milliseconds (DEFAULT_TIME_SLICE_MS). A slice still ends sooner when the
 * loop's next timer is due.
 *
 * @example setTimeSlice(5); // other I/O gets a turn at least every ~5 ms under load
 */
export function setTimeSlice(ms: number): void {
  if (!(ms > 0) || !Number.isFinite(ms)) throw new RangeError(`netpoll: time slice must be a positive number of ms, got ${String(ms)}`);
  SLICE_MS = ms;
}
