// serve() at the edges Go's servers define: an idle timeout any distance
// ahead, a shared read buffer a handler cannot break for everyone, a write
// that fails inside a handler reported only once the handler returned, and
// temporary accept errors (an accept deadline) ridden out with Go's backoff
// ("if ne, ok := err.(net.Error); ok && ne.Temporary()") instead of closing
// the listener.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { type Conn, dial, listen, OpError, serve, type ServeHandler } from '../../src/net/index.ts';
import { settledWithin, sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { readFull } from '../helpers/net.ts';

const DAY = 24 * 3600 * 1000;

for (const { backend, skip, make } of backendCases) {
  describe(`serve() edges (${backend})`, { skip: skip ?? false }, () => {
    test('readDeadlineMs of 30 days: connections are served and stay open, with no 1 ms timer storm (no TimeoutOverflowWarning)', async () => {
      const np = make();
      const warnings: string[] = [];
      const onWarning = (w: Error): void => { if (w.name === 'TimeoutOverflowWarning') warnings.push(w.message); };
      process.on('warning', onWarning);
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const errors: unknown[] = [];
      const served = serve(ln, { onData(c, chunk) { c.write(chunk); }, onError(_c, e) { errors.push(e); } }, { readDeadlineMs: 30 * DAY });
      try {
        const conn = await dial('tcp', String(ln.addr), { netpoll: np });
        await conn.write(Uint8Array.of(1, 2));
        assert.deepEqual([...await readFull(conn, 2)], [1, 2]);
        // Idle for a while: the server neither times it out nor closes it.
        conn.setReadDeadline(Date.now() + 30);
        await assert.rejects(conn.read(new Uint8Array(4)), (e) => e instanceof OpError && e.timeout);
        conn.setReadDeadline(null);
        await conn.write(Uint8Array.of(3));
        assert.deepEqual([...await readFull(conn, 1)], [3]);
        await conn.close();
        await sleep(5);
        assert.deepEqual(errors, []);
        assert.deepEqual(warnings, []);
      } finally {
        process.off('warning', onWarning);
        await ln.close(); await served; np.shutdown();
      }
    });

    test('a handler that transfers its chunk\'s .buffer does not break the shared read buffer: every later connection is served', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const port = new MessageChannel();
      const errors: unknown[] = [];
      let transferred = 0;
      const handler: ServeHandler = {
        onData(c, chunk) {
          const copy = chunk.slice();
          if (transferred < 2) {
            transferred++;
            if (transferred === 1) structuredClone(chunk, { transfer: [chunk.buffer as ArrayBuffer] });
            else port.port1.postMessage(chunk, [chunk.buffer as ArrayBuffer]);
          }
          c.write(copy);
        },
        onError(_c, e) { errors.push(e); },
      };
      const served = serve(ln, handler);
      try {
        for (let i = 0; i < 10; i++) {
          const conn = await dial('tcp', String(ln.addr), { netpoll: np });
          conn.setDeadline(Date.now() + 5000);
          await conn.write(Uint8Array.of(i, i + 1, i + 2));
          assert.deepEqual([...await readFull(conn, 3)], [i, i + 1, i + 2], `connection ${i}`);
          await conn.close();
        }
        assert.equal(transferred, 2);
        assert.deepEqual(errors, []);
      } finally {
        port.port1.close();
        await ln.close(); await served; np.shutdown();
      }
    });

    test('write() that meets EAGAIN past an expired write deadline returns first; onError and onClose come after the handler returned', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const log: string[] = [];
      let inHandler = false;
      let wrote: boolean | null = null;
      let closedResolve: () => void = () => undefined;
      const closedP = new Promise<void>((r) => { closedResolve = r; });
      const served = serve(ln, {
        onData(c) {
          inHandler = true;
          c.setWriteDeadline(Date.now() - 1);   // already expired
          wrote = c.write(new Uint8Array(32 << 20));   // more than any socket buffer: EAGAIN
          log.push('write returned');
          inHandler = false;
        },
        onError(_c, e) { log.push(`onError ${inHandler ? 'inside' : 'after'} ${(e as OpError).timeout ? 'timeout' : String(e)}`); },
        onClose() { log.push(`onClose ${inHandler ? 'inside' : 'after'}`); closedResolve(); },
      });
      try {
        const conn = await dial('tcp', String(ln.addr), { netpoll: np });
        await conn.write(Uint8Array.of(1));   // the client never reads: the write cannot finish
        assert.notEqual(await settledWithin(closedP, 5000), 'pending');
        assert.equal(wrote, false);
        assert.deepEqual(log, ['write returned', 'onError after timeout', 'onClose after']);
        await conn.close();
      } finally { await ln.close(); await served; np.shutdown(); }
    });

    test('an accept deadline does not stop serve(): it backs off (5 ms doubling), tells onAcceptError, and serves once the deadline is cleared', async () => {
      const np = make();
      const seen: Array<{ code: string; retryInMs: number }> = [];
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np, onAcceptError: (e, retryInMs) => { seen.push({ code: e.code, retryInMs }); } });
      ln.setDeadline(Date.now() - 1);   // every accept times out
      const served = serve(ln, { onData(c, chunk) { c.write(chunk); } });
      try {
        while (seen.length < 4) await sleep(10);
        assert.equal(ln.closed, false, 'the listener is still open');
        assert.equal(await settledWithin(served, 1), 'pending');
        assert.deepEqual(seen.slice(0, 4), [5, 10, 20, 40].map((retryInMs) => ({ code: 'ETIMEDOUT', retryInMs })));
        ln.setDeadline(null);
        const conn = await dial('tcp', String(ln.addr), { netpoll: np });
        conn.setDeadline(Date.now() + 5000);
        await conn.write(Uint8Array.of(7));
        assert.deepEqual([...await readFull(conn, 1)], [7]);
        await conn.close();
      } finally {
        await ln.close();
        // A close during the backoff pause ends serve() at once.
        assert.notEqual(await settledWithin(served, 2000), 'pending');
        np.shutdown();
      }
    });
  });
}
