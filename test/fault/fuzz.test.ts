// The public API under hostile arguments (closed, negative, huge and
// non-integer descriptors, the pollers' own; detached and shared buffers and
// every view type; deadlines of every type; addresses of every shape): each
// call succeeds or fails with a clear error, and the process never crashes.
// Each seed runs in a child process, so a crash or a hang fails by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChild } from './run-child.ts';

const SCENARIO = new URL('./fuzz-scenario.ts', import.meta.url);
interface FuzzResult { calls: number; outcomes: { ok: number; clear: number; pending: number }; unclear: string[] }

for (const seed of [1, 2, 3]) {
  test(`hostile arguments to every public call get a clear error or succeed, and never crash the process (seed ${seed})`, async (t) => {
    const { result: r } = await runChild<FuzzResult>(SCENARIO, [JSON.stringify({ seed, iterations: 1000 })], {}, 60_000);
    t.diagnostic(`${r.calls} calls: ${r.outcomes.ok} succeeded, ${r.outcomes.clear} clear errors, ${r.outcomes.pending} left waiting`);
    assert.deepEqual(r.unclear, []);
    assert.ok(r.calls > 1200 && r.outcomes.clear > 700, 'the fuzz reached the API');
  });
}

test('a Conn.close() after the fuzz sequence of seed 4 resolves', { todo: 'close never resolves after this sequence (not yet minimised)' }, async () => {
  const { result: r } = await runChild<FuzzResult>(SCENARIO, [JSON.stringify({ seed: 4, iterations: 630 })], {}, 60_000);
  assert.deepEqual(r.unclear, []);
});
