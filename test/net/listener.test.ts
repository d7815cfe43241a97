// Listener: accept deadlines, close while parked, the async iterator, and a
// burst of 1000 connections echoing random sizes, SHA-256 on both ends.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { DEFAULT_BUDGET, setBudget } from '../../src/fd/index.ts';
import { type Conn, dial, isClosedError, listen, OpError } from '../../src/net/index.ts';
import { settledWithin, sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';

for (const { backend, skip, make } of backendCases) {
  describe(`Listener (${backend})`, { skip: skip ?? false }, () => {
    test('accept with a past deadline fails at once, twice, even with a connection pending; then accepts', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      try {
        const c = await dial('tcp', String(ln.addr), { netpoll: np });
        ln.setDeadline(Date.now() - 1);
        for (let i = 0; i < 2; i++) {
          await assert.rejects(ln.accept(), (e) => {
            assert.ok(e instanceof OpError);
            assert.equal(e.code, 'ETIMEDOUT');
            assert.equal(e.message, `accept tcp ${String(ln.addr)}: i/o timeout`);
            return true;
          });
        }
        ln.setDeadline(null);
        const s = await ln.accept();
        assert.equal(String(s.remoteAddr), String(c.localAddr));
        await s.close(); await c.close();
      } finally { await ln.close(); np.shutdown(); }
    });

    test('a burst is accepted in a few loop turns while busy connections keep the budget spent', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const busy: Conn[] = [];
      let stop = false;
      let turns = 0;
      const tick = (): void => { turns++; if (!stop) setImmediate(tick); };
      try {
        // Ping-pong pairs whose reads and writes never park: only the budget lets the loop turn.
        const loops: Promise<void>[] = [];
        for (let i = 0; i < 8; i++) {
          const [client, server] = await Promise.all([dial('tcp', String(ln.addr), { netpoll: np }), ln.accept()]);
          busy.push(client, server);
          const pingPong = async (me: Conn, first: boolean): Promise<void> => {
            const b = new Uint8Array(1);
            if (first) await me.write(b);
            while (!stop) { if (await me.read(b) === null) return; if (!stop) await me.write(b); }
          };
          loops.push(pingPong(client, true).catch(() => {}), pingPong(server, false).catch(() => {}));
        }
        setImmediate(tick);
        setBudget(8); // as spent as under heavy load: the deferred operations alone use each turn's budget
        const N = 200;
        const accepted: Conn[] = [];
        const acceptAll = (async () => { for await (const c of ln) { accepted.push(c); if (accepted.length === N) return; } })();
        const dialed = await Promise.all(Array.from({ length: N }, () => dial('tcp', String(ln.addr), { netpoll: np })));
        const t0 = turns;
        await acceptAll;
        const used = turns - t0;
        // One accept per turn (node:net's way, and this FD's before it drained the backlog) needs ~N turns.
        assert.ok(used < N / 4, `${N} accepts took ${used} loop turns`);
        stop = true;
        for (const c of [...dialed, ...accepted, ...busy]) await c.close();
        await Promise.all(loops);
      } finally { stop = true; setBudget(DEFAULT_BUDGET); await ln.close(); np.shutdown(); }
    });

    test('accept with a deadline +30 ms times out on time', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      try {
        ln.setDeadline(new Date(Date.now() + 30));
        const t0 = performance.now();
        await assert.rejects(ln.accept(), (e) => (e as OpError).timeout === true);
        const took = performance.now() - t0;
        assert.ok(took >= 20 && took < 1000, `took ${took} ms`);
      } finally { await ln.close(); np.shutdown(); }
    });

    test('close wakes a parked accept with the closed error; accept after close fails at once', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const parked = ln.accept();
      await sleep(10);
      assert.equal(await settledWithin(parked, 10), 'pending');
      const closing = ln.close();
      const r = await settledWithin(parked, 500);
      assert.notEqual(r, 'pending');
      const e = (r as { error: unknown }).error;
      assert.ok(e instanceof OpError && isClosedError(e) && !e.timeout);
      assert.equal(e.message, `accept tcp ${String(ln.addr)}: use of closed network connection`);
      await closing;
      assert.equal(ln.fd.sysfd, -1);
      await assert.rejects(ln.accept(), (x) => isClosedError(x));
      assert.throws(() => ln.close(), (x) => isClosedError(x));
      assert.throws(() => ln.setDeadline(null), (x) => isClosedError(x));
      assert.equal(np.size, 0);
      np.shutdown();
    });

    test('abort signal cancels a parked accept with its reason; the listener goes on', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      try {
        const ac = new AbortController();
        const parked = ln.accept(ac.signal);
        await sleep(10);
        ac.abort();
        await assert.rejects(parked, (e) => e === ac.signal.reason);
        const [c, s] = await Promise.all([dial('tcp', String(ln.addr), { netpoll: np }), ln.accept()]);
        await c.close(); await s.close();
      } finally { await ln.close(); np.shutdown(); }
    });

    test('for await accepts until the listener is closed, then ends', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const seen: Conn[] = [];
      const loop = (async () => { for await (const s of ln) seen.push(s); })();
      const clients = await Promise.all([1, 2, 3].map(() => dial('tcp', String(ln.addr), { netpoll: np })));
      while (seen.length < 3) await sleep(2);
      await ln.close();
      assert.equal(await settledWithin(loop, 500) !== 'pending', true);
      for (const c of [...clients, ...seen]) await c.close();
      assert.equal(np.size, 0);
      np.shutdown();
    });

    test('1000 connections dialed at once are all accepted, each echoes random sizes, SHA-256 on both ends', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const N = 1000;
      const serverSums = new Map<string, { sum: string; n: number }>();
      const served: Promise<void>[] = [];
      const t0 = performance.now();
      let allAcceptedAt = 0;
      const loop = (async () => {
        for await (const s of ln) {
          served.push((async () => {
            const h = createHash('sha256');
            const buf = new Uint8Array(16 * 1024); // its own buffer per connection
            let n = 0;
            for (;;) {
              const k = await s.read(buf);
              if (k === null) break;
              h.update(buf.subarray(0, k));
              await s.write(buf, 0, k);
              n += k;
            }
            s.closeWrite();
            serverSums.set(String(s.remoteAddr), { sum: h.digest('hex'), n });
            await s.close();
          })());
          if (served.length === N) allAcceptedAt = performance.now() - t0;
        }
      })();
      try {
        const conns = await Promise.all(Array.from({ length: N }, () => dial('tcp', String(ln.addr), { netpoll: np, timeout: 10_000 })));
        const results = await Promise.all(conns.map(async (c) => {
          const data = randomBytes(randomInt(1, 48 * 1024));
          const sent = createHash('sha256').update(data).digest('hex');
          const h = createHash('sha256');
          const buf = new Uint8Array(8 * 1024);
          let n = 0;
          const reading = (async () => {
            for (;;) { const k = await c.read(buf); if (k === null) break; h.update(buf.subarray(0, k)); n += k; }
          })();
          // Random write sizes too.
          for (let off = 0; off < data.length;) {
            const k = Math.min(data.length - off, randomInt(1, 16 * 1024));
            await c.write(data, off, k);
            off += k;
          }
          c.closeWrite();
          await reading;
          const key = String(c.localAddr);
          await c.close();
          return { key, sent, got: h.digest('hex'), size: data.length, n };
        }));
        await Promise.all(served);
        assert.ok(allAcceptedAt > 0 && allAcceptedAt < 5000, `all accepted after ${allAcceptedAt} ms`);
        for (const r of results) {
          assert.equal(r.n, r.size);
          assert.equal(r.got, r.sent);
          const srv = serverSums.get(r.key);
          assert.ok(srv, `server saw ${r.key}`);
          assert.equal(srv.sum, r.sent);
          assert.equal(srv.n, r.size);
        }
        assert.equal(serverSums.size, N);
      } finally {
        await ln.close();
        await loop;
        assert.equal(np.size, 0, 'every descriptor closed');
        np.shutdown();
      }
    });
  });
}
