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

// Found by this fuzz (seed 4): a signal that is not an AbortSignal is taken in, the parked read's
// addEventListener throws with the read lock held, and every later close() throws the same TypeError
// and never resolves. Go has no such argument; the rule here is a clear error (a rejected
// TypeError, as for every other bad argument) before the lock is taken.
test('a signal that is not an AbortSignal is refused up front, and close() still resolves', async () => {
  const { dial, listen } = await import('../../src/index.ts');
  const { Netpoll } = await import('../../src/runtime.ts');
  const np = new Netpoll();
  const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
  const [a, b] = await Promise.all([dial('tcp', String(ln.addr), { netpoll: np }), ln.accept()]);
  try {
    await assert.rejects(b.readChunk(8, {} as AbortSignal), (e: unknown) => e instanceof TypeError);
    const closed = await Promise.race([b.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('pending'), 1000))]);
    assert.equal(closed, 'closed');
  } finally {
    for (const x of [a, ln]) await x.close().catch(() => {});
    np.shutdown();
  }
});
