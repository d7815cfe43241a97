// Dial timeouts and far deadlines as Go has them: an int64-nanosecond
// deadline any distance ahead (no 2^31-1 ms timer limit), a negative
// timeout that has already expired, no timeout before the deadline, and
// dialSerial moving on to the next address until the whole deadline is spent.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Conn, dial, listen, type Listener, OpError } from '../../src/net/index.ts';
import type { Netpoll } from '../../src/netpoll/index.ts';
import { settledWithin, sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { connectedPair, fullBacklog } from '../helpers/net.ts';

const DAY = 24 * 3600 * 1000;
/** Go's maximum Duration (1<<63 - 1 ns) in milliseconds. */
const GO_MAX_TIMEOUT_MS = 9223372036854.775807;

/** Collects the process warnings of one kind while fn runs. */
async function warningsDuring(kind: string, fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const on = (w: Error): void => { if (w.name === kind) seen.push(w.message); };
  process.on('warning', on);
  try {
    await fn();
    await sleep(5); // warnings are emitted on a later tick
  } finally {
    process.off('warning', on);
  }
  return seen;
}

for (const { backend, skip, make } of backendCases) {
  describe(`dial and deadlines far ahead (${backend})`, { skip: skip ?? false }, () => {
    test('a read deadline 30 days ahead parks quietly (no 1 ms timer storm, no TimeoutOverflowWarning) and can still be moved in', async () => {
      const np = make();
      const { client, server, closeAll } = await connectedPair(np);
      try {
        const buf = new Uint8Array(8);
        const warnings = await warningsDuring('TimeoutOverflowWarning', async () => {
          server.setReadDeadline(Date.now() + 30 * DAY);
          const r = server.read(buf);
          assert.equal(await settledWithin(r, 30), 'pending');
          await client.write(Uint8Array.of(7));
          assert.equal(await r, 1);
          // The far deadline is still set; a nearer one replaces it and expires.
          server.setReadDeadline(Date.now() + 20);
          await assert.rejects(server.read(buf), (e) => e instanceof OpError && e.timeout);
        });
        assert.deepEqual(warnings, []);
      } finally { await closeAll(); np.shutdown(); }
    });

    test('dial by host name with a 30-day timeout and with Go\'s maximum timeout connects (the lookup timer does not overflow)', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      try {
        const warnings = await warningsDuring('TimeoutOverflowWarning', async () => {
          for (const timeout of [30 * DAY, GO_MAX_TIMEOUT_MS]) {
            const [c, s] = await Promise.all([dial('tcp', `localhost:${ln.addr.port}`, { netpoll: np, timeout }), ln.accept()]);
            await c.write(Uint8Array.of(1));
            assert.equal(await s.read(new Uint8Array(4)), 1);
            await c.close(); await s.close();
          }
          // An absolute deadline far ahead too.
          const [c, s] = await Promise.all([dial('tcp', `localhost:${ln.addr.port}`, { netpoll: np, deadline: Date.now() + 400 * DAY }), ln.accept()]);
          await c.close(); await s.close();
        });
        assert.deepEqual(warnings, []);
      } finally { await ln.close(); np.shutdown(); }
    });

    test('a negative dial timeout has already expired: the dial fails with i/o timeout (Go: "if d.Timeout != 0 { // including negative")', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      try {
        for (const timeout of [-1, -0.5, -1000, -Infinity]) {
          await assert.rejects(dial('tcp', String(ln.addr), { netpoll: np, timeout }), (e) => {
            assert.ok(e instanceof OpError, String(e));
            assert.equal(e.timeout, true);
            assert.equal(e.code, 'ETIMEDOUT');
            assert.equal(e.message, `dial tcp ${String(ln.addr)}: i/o timeout`);
            return true;
          });
          await assert.rejects(dial('tcp', `localhost:${ln.addr.port}`, { netpoll: np, timeout }), (e) => e instanceof OpError && e.timeout);
        }
        // Nothing was connected: no connection is waiting to be accepted.
        ln.setDeadline(Date.now() + 50);
        await assert.rejects(ln.accept(), (e) => e instanceof OpError && e.timeout);
      } finally { await ln.close(); np.shutdown(); }
    });

    test('no dial times out before its timeout: 300 dials in a row with a 2 ms timeout all give up at or after 2 ms', async () => {
      const np = make();
      const full = await fullBacklog(np);
      try {
        let timedOut = 0;
        const early: number[] = [];
        for (let i = 0; i < 300; i++) {
          const t0 = performance.now();
          try {
            const c = await dial('tcp', String(full.ln.addr), { netpoll: np, timeout: 2 });
            await c.close();
          } catch (e) {
            const took = performance.now() - t0;
            assert.ok(e instanceof OpError && e.timeout, String(e));
            timedOut++;
            if (took < 2) early.push(took);
          }
        }
        assert.deepEqual(early, [], 'dials with a 2 ms timeout that gave up early (ms)');
        assert.ok(timedOut > 0, 'the full backlog made dials hang');
      } finally { await full.close(); np.shutdown(); }
    });

    test('dialSerial: when the first address hangs past its share, the second is tried within the whole deadline (Go keeps firstErr and moves on)', async () => {
      const np = make();
      const full = await fullBacklog(np, '127.0.0.1:0');
      const port = full.ln.addr.port;
      const good = await listen('tcp', `127.0.0.2:${port}`, { netpoll: np });
      const lookup = async (): Promise<Array<{ address: string; family: number }>> =>
        [{ address: '127.0.0.1', family: 4 }, { address: '127.0.0.2', family: 4 }];
      try {
        // 4 s for two addresses: the first gets its 2 s share, then the second the rest.
        const [c, s] = await Promise.all([dial('tcp', `twohomed.test:${port}`, { netpoll: np, timeout: 4000, lookup }), good.accept()]);
        assert.equal(c.remoteAddr.toString(), `127.0.0.2:${port}`);
        await c.close(); await s.close();

        // Both hang: the error is the first address's, a timeout.
        await good.close();
        const hang2 = await fullBacklog(np, `127.0.0.2:${port}`);
        try {
          const t0 = performance.now();
          await assert.rejects(dial('tcp', `twohomed.test:${port}`, { netpoll: np, timeout: 300, lookup }), (e) => {
            assert.ok(e instanceof OpError, String(e));
            assert.equal(e.timeout, true);
            assert.equal(e.message, `dial tcp 127.0.0.1:${port}: i/o timeout`);
            return true;
          });
          assert.ok(performance.now() - t0 >= 300);
        } finally { await hang2.close(); }
      } finally {
        if (!good.closed) await good.close();
        await full.close();
        np.shutdown();
      }
    });
  });
}
