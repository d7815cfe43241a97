// Work the budget put off runs before the readiness a later drain harvests:
// oldest first across loop turns, as Go runs what is already runnable before
// what a netpoll finds. Each loop iteration's poll phase (the drain) comes
// before its check phase (where put-off work otherwise runs), so a write put
// off in one check phase must not wait behind the next iteration's wake-ups.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_BUDGET, nextTurn, setBudget } from '../../src/netpoll/budget.ts';
import { counters } from '../../src/netpoll/stats.ts';
import * as sock from '../../src/sys/socket.ts';
import { backendCases as backends } from '../helpers/backends.ts';
import { connectedPair } from '../helpers/net.ts';

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
        const reader = y.server.readChunk().then((c) => { order.push(`read ${Buffer.from(c!).toString()}`); });
        // Operation 2 goes at once; operation 3 is past the budget and is put off to a later turn.
        const writer = (async () => {
          for (let i = 0; i < 3; i++) {
            await x.server.write(new Uint8Array([i]));
            order.push(`write ${i}`);
          }
        })();
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
  });
}
