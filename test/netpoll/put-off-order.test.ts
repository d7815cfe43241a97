// Work the budget put off runs before the readiness a later drain harvests:
// oldest first across loop turns, as Go runs what is already runnable before
// what a netpoll finds. Each loop iteration's poll phase (the drain) comes
// before its check phase (where put-off work otherwise runs), so a write put
// off in one check phase must not wait behind the next iteration's wake-ups.
// And however much put-off work there is, a drain still harvests: new
// readiness waits behind it, never until it is all done. (The loop driver,
// the default: the worker driver hears of readiness a hop later.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_BUDGET, nextTurn, setBudget } from '../../src/netpoll/budget.ts';
import { counters } from '../../src/netpoll/stats.ts';
import * as sock from '../../src/sys/socket.ts';
import { backendCases as backends } from '../helpers/backends.ts';
import { connectedPair } from '../helpers/net.ts';

/** p, with its rejection handled here too: a failed assertion must not leave it unhandled when the test closes the connections. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

for (const b of backends) {
  describe(`put-off work and later readiness (${b.backend})`, { skip: b.skip ?? false }, () => {
    test('a write put off in one turn completes before a read whose bytes arrive after it was put off', async () => {
      const np = b.make();
      const x = await connectedPair(np); // the writer's connection
      const y = await connectedPair(np); // the reader's
      const order: string[] = [];
      setBudget(2);
      try {
        await nextTurn(); // a fresh turn (the check phase): this turn's budget is the test's
        const deferrals = counters.budgetDeferrals;
        // Operation 1: a read with nothing to read parks.
        const reader = quiet(y.server.readChunk().then((c) => { order.push(`read ${Buffer.from(c!).toString()}`); }));
        // Operation 2 goes at once; operation 3 is past the budget and is put off to a later turn.
        const writer = quiet((async () => {
          for (let i = 0; i < 3; i++) {
            await x.server.write(new Uint8Array([i]));
            order.push(`write ${i}`);
          }
        })());
        await Promise.resolve(); // the writer's first write went; its second is queued now
        assert.equal(counters.budgetDeferrals, deferrals + 1, 'the writer\'s second write was put off');
        // The reader's bytes arrive now, outside the budget (a raw send on the peer): the
        // next loop iteration's drain sees them before any check phase runs the put-off write.
        const sent = y.client.syscallConn().control((fd) => sock.send(fd, Buffer.from('y'), 1));
        assert.equal(sent, 1);
        await Promise.all([reader, writer]);
        assert.deepEqual(order.slice(0, 3), ['write 0', 'write 1', 'read y'], `completion order: ${order.join(', ')}`);
      } finally {
        setBudget(DEFAULT_BUDGET);
        await x.closeAll();
        await y.closeAll();
        np.shutdown();
      }
    });

    test('a backlog of put-off work that outlasts the slice still lets the next drain harvest', async () => {
      const np = b.make();
      const writers = await Promise.all(Array.from({ length: 6 }, () => connectedPair(np)));
      const y = await connectedPair(np);
      const WRITES = 40;
      let writesDone = 0;
      setBudget(2);
      try {
        await nextTurn();
        const reader = quiet(y.server.readChunk());
        // Six writers, each a chain of writes: two operations per turn leave most of them queued.
        const all = writers.map((w) => quiet((async () => {
          for (let i = 0; i < WRITES; i++) { await w.server.write(new Uint8Array([i])); writesDone++; }
        })()));
        let iterations = 0, readAt = -1;
        const tick = (): void => { iterations++; if (readAt < 0 && iterations < 1000) setImmediate(tick); };
        setImmediate(tick);
        void reader.then(() => { readAt = iterations; });
        const sent = y.client.syscallConn().control((fd) => sock.send(fd, Buffer.from('y'), 1));
        assert.equal(sent, 1);
        assert.equal(Buffer.from((await reader)!).toString(), 'y');
        assert.ok(readAt >= 0 && readAt <= 2, `the read came ${readAt} loop iterations after its bytes`);
        assert.ok(writesDone < writers.length * WRITES, 'the put-off writes were not all done before it');
        await Promise.all(all);
        assert.equal(writesDone, writers.length * WRITES);
      } finally {
        setBudget(DEFAULT_BUDGET);
        for (const w of writers) await w.closeAll();
        await y.closeAll();
        np.shutdown();
      }
    });
  });
}
