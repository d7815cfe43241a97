// The fairness budget (budget.ts): operations beyond a turn's slice are put
// off, and a turn performs deferred ones only within its own slice, oldest first.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  BUDGET, DEFAULT_BUDGET, DEFAULT_TIME_SLICE_MS, HARVEST_SHARE, MIN_SLICE_MS, defer, grant, harvestSpent, newTurn, nextTurn, setBudget,
  setTimeSlice, sliceLength, spend, startSlice,
} from '../../src/netpoll/budget.ts';
import { seesLoopTimers } from '../../src/netpoll/loop-timers.ts';

const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

afterEach(() => { setBudget(DEFAULT_BUDGET); });

test('spend allows BUDGET operations per turn, then asks to yield', async () => {
  setBudget(5);
  await nextTurn();
  const got: boolean[] = [];
  for (let i = 0; i < 7; i++) got.push(spend());
  assert.deepEqual(got, [true, true, true, true, true, false, false]);
  await nextTurn();
  assert.equal(spend(), true, 'a new turn, a new budget');
});

test('a turn performs at most BUDGET deferred operations, oldest first; the rest follow on later turns', async () => {
  setBudget(4);
  await nextTurn();
  const ran: number[][] = [];
  let turn = -1;
  const ticker = (): void => { turn++; ran[turn] = []; if (turn < 5) setImmediate(ticker); };
  setImmediate(ticker);
  for (let i = 0; i < 10; i++) defer({ runDeferred: () => { ran[turn]!.push(i); } });
  for (let i = 0; i < 6; i++) await immediate();
  const flat = ran.flat();
  assert.deepEqual(flat, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'every one ran once, in order');
  assert.ok(ran.every((r) => r.length <= BUDGET), `per turn: ${ran.map((r) => r.length).join(' ')}`);
});

test('setBudget refuses what is not a positive integer', () => {
  for (const bad of [0, -1, 1.5, NaN]) assert.throws(() => setBudget(bad), RangeError);
});

test('a turn also ends when its time slice is spent, however few operations ran', async () => {
  setTimeSlice(1);
  try {
    await nextTurn();
    let ops = 0;
    const t0 = performance.now();
    while (spend()) { ops++; if (performance.now() - t0 > 1000) break; }
    // BUDGET operations take far less than a second: ending before them, the clock ended it.
    assert.ok(ops < BUDGET, `${ops} operations before the slice ended`);
    assert.equal(spend(), false, 'and stays spent until the loop turns');
    await nextTurn();
    assert.equal(spend(), true);
  } finally {
    setTimeSlice(DEFAULT_TIME_SLICE_MS);
  }
  assert.throws(() => setTimeSlice(0), RangeError);
  assert.throws(() => setTimeSlice(NaN), RangeError);
});

test('a drain starts a new slice: the operations it resumes run at once, without a scheduled turn', async () => {
  setBudget(2);
  await nextTurn();
  assert.deepEqual([spend(), spend(), spend()], [true, true, false]);
  newTurn(); // what drain() does before each readiness batch
  assert.equal(spend(), true);
});

test('grant: after a drain woke n tasks, n more operations go at once though the slice is spent; a new turn forgets them', async () => {
  setBudget(2);
  await nextTurn();
  assert.deepEqual([spend(), spend(), spend()], [true, true, false]);
  grant(3);
  assert.deepEqual([spend(), spend(), spend(), spend()], [true, true, true, false]);
  grant(5);
  newTurn();
  assert.deepEqual([spend(), spend(), spend()], [true, true, false], 'the new turn has its budget, and no grace left over');
});

test('a drain harvests for HARVEST_SHARE of the slice, leaving the rest to the tasks it woke', async () => {
  setTimeSlice(20);
  try {
    await nextTurn();
    startSlice();
    assert.equal(harvestSpent(), false, 'at the start of the slice');
    const t0 = performance.now();
    // Past the share of the longest slice (a timer due sooner only makes the slice shorter).
    while (performance.now() - t0 < 20 * HARVEST_SHARE + 1) { /* spin */ }
    assert.equal(harvestSpent(), true);
    assert.equal(spend(), true, 'the slice itself is not spent yet: woken tasks still run');
  } finally {
    setTimeSlice(DEFAULT_TIME_SLICE_MS);
  }
});

test('a slice ends when the loop\'s next timer is due, long before its longest length', { skip: seesLoopTimers() ? false : 'loop timers not visible on this thread' }, async () => {
  setTimeSlice(1000);
  setBudget(2 ** 30); // only the clock can end the turn
  let fired = false;
  const timer = setTimeout(() => { fired = true; }, 30);
  try {
    await nextTurn(); // a turn of the check phase: Node's idle handle is on, so libuv's own timeout would say 0
    const t0 = performance.now();
    let ops = 0;
    while (spend()) { ops++; if (performance.now() - t0 > 1500) break; }
    const took = performance.now() - t0;
    // The 1000 ms slice would run a full second; ending near the 30 ms timer, the timer ended it.
    assert.ok(took < 500, `the slice ran ${took.toFixed(1)} ms (${ops} operations) with a timer due in 30 ms`);
    assert.equal(fired, false, 'the timer runs after the turn, on the loop');
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(fired, true);
  } finally {
    clearTimeout(timer);
    setTimeSlice(DEFAULT_TIME_SLICE_MS);
  }
});

test('sliceLength: the longest slice with no timer near, the time to the timer when one is, never under the floor', { skip: seesLoopTimers() ? false : 'loop timers not visible on this thread' }, async () => {
  await nextTurn();
  const far = setTimeout(() => undefined, 60_000);
  const near = setTimeout(() => undefined, 4);
  try {
    const len = sliceLength(performance.now());
    // libuv keeps its loop time and timers in whole milliseconds: the due time is known to within 1 ms.
    assert.ok(len <= 5 && len >= MIN_SLICE_MS, `slice ${len} ms with a timer due in 4 ms`);
    clearTimeout(near);
    await nextTurn(); // Node re-arms its timer handle for the far one
    await new Promise((r) => setTimeout(r, 10));
    assert.ok(sliceLength(performance.now()) <= DEFAULT_TIME_SLICE_MS);
    setTimeSlice(0.1);
    assert.ok(sliceLength(performance.now()) <= 0.1, 'a longest slice under the floor wins');
  } finally {
    clearTimeout(far);
    clearTimeout(near);
    setTimeSlice(DEFAULT_TIME_SLICE_MS);
  }
});
