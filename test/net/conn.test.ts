// Conn: deadlines, close, EOF, reset, half-close, EPIPE, integrity, streams.
// Each test is named after the Go behaviour it checks (docs/semantics.md).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { createGzip, createGunzip } from 'node:zlib';
import { isClosedError, OpError, type Conn } from '../../src/net/index.ts';
import { setLinger } from '../../src/sys/socket.ts';
import { settledWithin, sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { connectedPair, echo, fillUntilBlocked } from '../helpers/net.ts';

function assertTimeout(e: unknown, op: string): void {
  assert.ok(e instanceof OpError, `expected OpError, got ${String(e)}`);
  assert.equal(e.code, 'ETIMEDOUT');
  assert.equal(e.timeout, true);
  assert.equal(e.op, op);
  assert.match(e.message, /: i\/o timeout$/);
}

function assertClosed(e: unknown, op?: string): void {
  assert.ok(e instanceof OpError, `expected OpError, got ${String(e)}`);
  assert.ok(isClosedError(e));
  assert.equal(e.code, 'ERR_NETPOLL_CLOSED');
  assert.equal(e.timeout, false);
  if (op) assert.equal(e.op, op);
  assert.match(e.message, /use of closed network connection$/);
}

for (const { backend, skip, make } of backendCases) {
  describe(`Conn (${backend})`, { skip: skip ?? false }, () => {
    test('addresses: localAddr/remoteAddr mirror each other, Go forms', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        assert.equal(String(p.client.remoteAddr), String(p.ln.addr));
        assert.equal(String(p.server.remoteAddr), String(p.client.localAddr));
        assert.equal(String(p.server.localAddr), String(p.client.remoteAddr));
        assert.match(String(p.client.localAddr), /^127\.0\.0\.1:\d+$/);
        assert.equal(p.client.remoteAddr.network, 'tcp');
        assert.equal(p.client.remoteAddr.address, '127.0.0.1');
        assert.equal(p.client.remoteAddr.port, p.ln.addr.port);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('TCP_NODELAY is on by default; setNoDelay and setKeepAlive set the options', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const { C } = await import('../../src/sys/constants.ts');
        for (const c of [p.client, p.server]) assert.notEqual(c.fd.getsockoptInt(C.IPPROTO_TCP, C.TCP_NODELAY), 0);
        p.client.setNoDelay(false);
        assert.equal(p.client.fd.getsockoptInt(C.IPPROTO_TCP, C.TCP_NODELAY), 0);
        p.client.setKeepAlive(true, 30_500);
        assert.notEqual(p.client.fd.getsockoptInt(C.SOL_SOCKET, C.SO_KEEPALIVE), 0);
        if (C.TCP_KEEPIDLE !== 0) assert.equal(p.client.fd.getsockoptInt(C.IPPROTO_TCP, C.TCP_KEEPIDLE), 31);
        p.client.setKeepAlive(false);
        assert.equal(p.client.fd.getsockoptInt(C.SOL_SOCKET, C.SO_KEEPALIVE), 0);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('a deadline in the past fails read and write at once, twice, even with data pending', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        await p.client.write(Uint8Array.of(1, 2, 3));
        await sleep(10);
        p.server.setDeadline(Date.now() - 1000);
        const buf = new Uint8Array(8);
        for (let i = 0; i < 2; i++) {
          await assert.rejects(p.server.read(buf), (e) => { assertTimeout(e, 'read'); return true; });
          await assert.rejects(p.server.write(buf), (e) => { assertTimeout(e, 'write'); return true; });
        }
        p.server.setDeadline(null);
        assert.equal(await p.server.read(buf), 3);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('a read deadline +50 ms: reads work until it, then fail with timeout and keep failing', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        p.server.setReadDeadline(Date.now() + 50);
        await p.client.write(Uint8Array.of(7));
        const buf = new Uint8Array(8);
        assert.equal(await p.server.read(buf), 1);
        const t0 = performance.now();
        await assert.rejects(p.server.read(buf), (e) => { assertTimeout(e, 'read'); return true; });
        const waited = performance.now() - t0;
        assert.ok(waited >= 30 && waited < 1000, `waited ${waited} ms`);
        await p.client.write(Uint8Array.of(8));
        await sleep(5);
        await assert.rejects(p.server.read(buf), (e) => { assertTimeout(e, 'read'); return true; });
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('a write deadline +10 ms stops a blocked write with a timeout carrying bytesWritten', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        p.client.setWriteDeadline(Date.now() + 10);
        const big = new Uint8Array(64 << 20);
        await assert.rejects(p.client.write(big), (e) => {
          assertTimeout(e, 'write');
          const n = (e as OpError).bytesWritten;
          assert.ok(typeof n === 'number' && n >= 0 && n < big.length, `bytesWritten ${String(n)}`);
          return true;
        });
        await assert.rejects(p.client.write(Uint8Array.of(1)), (e) => { assertTimeout(e, 'write'); return true; });
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('a past read deadline set from another task unblocks a parked read', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const pending = p.server.read(new Uint8Array(8));
        await sleep(20);
        p.server.setReadDeadline(new Date(Date.now() - 1));
        const r = await settledWithin(pending, 500);
        assert.notEqual(r, 'pending');
        assertTimeout((r as { error: unknown }).error, 'read');
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('a past deadline then a cleared one: the next read blocks again', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        p.server.setDeadline(Date.now() - 1);
        await assert.rejects(p.server.read(new Uint8Array(8)), (e) => { assertTimeout(e, 'read'); return true; });
        p.server.setDeadline(0);
        const pending = p.server.read(new Uint8Array(8));
        assert.equal(await settledWithin(pending, 100), 'pending');
        await p.client.write(Uint8Array.of(5));
        assert.equal(await pending, 1);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('past setDeadline then setReadDeadline(null): reads block, writes fail; and the mirror', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        p.server.setDeadline(Date.now() - 1);
        p.server.setReadDeadline(null);
        const pending = p.server.read(new Uint8Array(8));
        await assert.rejects(p.server.write(Uint8Array.of(1)), (e) => { assertTimeout(e, 'write'); return true; });
        assert.equal(await settledWithin(pending, 100), 'pending');
        await p.client.write(Uint8Array.of(1));
        assert.equal(await pending, 1);

        p.client.setDeadline(Date.now() - 1);
        p.client.setWriteDeadline(null);
        assert.equal(await p.client.write(Uint8Array.of(2)), 1);
        await assert.rejects(p.client.read(new Uint8Array(8)), (e) => { assertTimeout(e, 'read'); return true; });
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('moving a deadline later while parked keeps the read parked until the new instant', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const t0 = performance.now();
        p.server.setReadDeadline(Date.now() + 40);
        const pending = p.server.read(new Uint8Array(8));
        await sleep(10);
        p.server.setReadDeadline(Date.now() + 200);
        assert.equal(await settledWithin(pending, 90), 'pending'); // past the old instant
        const r = await settledWithin(pending, 2000);
        assertTimeout((r as { error: unknown }).error, 'read');
        const waited = performance.now() - t0;
        assert.ok(waited >= 190, `timed out after ${waited} ms, before the moved deadline`);
        // Moved earlier while parked: fails at the earlier instant.
        p.server.setReadDeadline(Date.now() + 1000);
        const again = p.server.read(new Uint8Array(8));
        p.server.setReadDeadline(Date.now() + 20);
        const r2 = await settledWithin(again, 500);
        assertTimeout((r2 as { error: unknown }).error, 'read');
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('close wakes a parked read and a parked write with the closed error; the descriptor goes once', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const parkedRead = p.server.read(new Uint8Array(8));
        await fillUntilBlocked(p.server);
        const parkedWrite = p.server.write(new Uint8Array(1 << 16));
        assert.equal(await settledWithin(parkedRead, 20), 'pending');
        const sysfd = p.server.fd.sysfd;
        assert.ok(sysfd >= 0);
        const closing = p.server.close();
        const [r, w] = await Promise.all([settledWithin(parkedRead, 500), settledWithin(parkedWrite, 500)]);
        assertClosed((r as { error: unknown }).error, 'read');
        assertClosed((w as { error: unknown }).error, 'write');
        await closing;
        assert.equal(p.server.fd.sysfd, -1);
        assert.equal(np.size, 2, 'only the listener and the client remain registered');
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('after close: read and write fail at once, a second close throws the closed error', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        await p.client.close();
        await assert.rejects(p.client.read(new Uint8Array(4)), (e) => { assertClosed(e, 'read'); return true; });
        await assert.rejects(p.client.write(new Uint8Array(4)), (e) => { assertClosed(e, 'write'); return true; });
        assert.throws(() => p.client.close(), (e) => { assertClosed(e, 'close'); return true; });
        assert.throws(() => p.client.setDeadline(null), (e) => { assertClosed(e, 'set'); return true; });
        assert.throws(() => p.client.closeWrite(), (e) => { assertClosed(e); return true; });
        // The peer sees EOF.
        assert.equal(await p.server.read(new Uint8Array(4)), null);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('a zero-length read returns 0 without waiting, even past its deadline', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        assert.equal(await p.server.read(new Uint8Array(0)), 0);
        p.server.setReadDeadline(Date.now() - 1);
        assert.equal(await p.server.read(new Uint8Array(4), 0, 0), 0);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('peer close: a parked read returns null (EOF), and again after', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const parked = p.server.read(new Uint8Array(8));
        await sleep(10);
        await p.client.close();
        assert.equal(await parked, null);
        assert.equal(await p.server.read(new Uint8Array(8)), null);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('peer reset (SO_LINGER 0): the read fails with ECONNRESET, not EOF', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const parked = p.server.read(new Uint8Array(8));
        await sleep(10);
        assert.equal(setLinger(p.client.fd.sysfd, 0), 0);
        await p.client.close();
        await assert.rejects(parked, (e) => {
          assert.ok(e instanceof OpError);
          assert.equal(e.code, 'ECONNRESET');
          assert.equal(e.op, 'read');
          assert.match(e.message, /^read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: read: connection reset by peer$/);
          assert.ok(!isClosedError(e));
          return true;
        });
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('closeWrite: the peer reads the data then EOF, our writes fail with EPIPE, our reads go on', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        await p.client.write(new TextEncoder().encode('last words'));
        p.client.closeWrite();
        const buf = new Uint8Array(64);
        let got = '';
        for (;;) {
          const n = await p.server.read(buf);
          if (n === null) break;
          got += new TextDecoder().decode(buf.subarray(0, n));
        }
        assert.equal(got, 'last words');
        await assert.rejects(p.client.write(Uint8Array.of(1)), (e) => {
          assert.ok(e instanceof OpError);
          assert.equal(e.code, 'EPIPE');
          assert.match(e.message, /: write: broken pipe$/);
          return true;
        });
        await p.server.write(Uint8Array.of(42));
        assert.equal(await p.client.read(buf), 1);
        assert.equal(buf[0], 42);
        // closeRead: our later reads fail or see EOF, never hang.
        p.server.closeRead();
        assert.equal(await settledWithin(p.server.read(buf), 500) === 'pending', false);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('EPIPE without SIGPIPE: writing on after the peer closed fails with EPIPE or ECONNRESET', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        await p.server.close();
        await sleep(10);
        let err: unknown = null;
        for (let i = 0; i < 100 && err === null; i++) {
          try { await p.client.write(new Uint8Array(1024)); } catch (e) { err = e; }
          await sleep(1);
        }
        assert.ok(err instanceof OpError, 'a write failed');
        assert.ok(['EPIPE', 'ECONNRESET'].includes(err.code), err.code);
        assert.equal(err.op, 'write');
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('abort signals cancel a parked read and write with the signal\'s reason; the conn stays usable', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const ac = new AbortController();
        const reason = new Error('enough');
        const parked = p.server.read(new Uint8Array(8), 0, 8, ac.signal);
        await sleep(10);
        ac.abort(reason);
        await assert.rejects(parked, (e) => e === reason);
        await p.client.write(Uint8Array.of(3));
        assert.equal(await p.server.read(new Uint8Array(8)), 1);
        const ac2 = new AbortController();
        await fillUntilBlocked(p.client);
        const w = p.client.write(new Uint8Array(1 << 20), 0, 1 << 20, ac2.signal);
        await sleep(10);
        ac2.abort();
        await assert.rejects(w, (e) => e === ac2.signal.reason);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('writev writes every buffer in order', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const bufs = [randomBytes(10), new Uint8Array(0), randomBytes(200_000), randomBytes(3)];
        const want = Buffer.concat(bufs);
        const reading = (async () => {
          const got: Buffer[] = [];
          const b = new Uint8Array(65536);
          for (let n = 0; n < want.length;) { const k = (await p.server.read(b))!; got.push(Buffer.from(b.subarray(0, k))); n += k; }
          return Buffer.concat(got);
        })();
        assert.equal(await p.client.writev(bufs), want.length);
        assert.ok((await reading).equals(want));
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('data integrity: 64 MiB both ways at once over one connection, SHA-256 on both ends', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const SIZE = 64 << 20;
        const send = async (c: Conn, seed: number): Promise<string> => {
          const h = createHash('sha256');
          const chunk = new Uint8Array(1 << 20);
          let x = seed;
          for (let sent = 0; sent < SIZE; sent += chunk.length) {
            for (let i = 0; i < chunk.length; i += 4) { x = (x * 1664525 + 1013904223) >>> 0; chunk[i] = x; chunk[i + 1] = x >>> 8; chunk[i + 2] = x >>> 16; chunk[i + 3] = x >>> 24; }
            h.update(chunk);
            await c.write(chunk);
          }
          c.closeWrite();
          return h.digest('hex');
        };
        const recv = async (c: Conn): Promise<[string, number]> => {
          const h = createHash('sha256');
          const buf = new Uint8Array(256 << 10);
          let total = 0;
          for (;;) { const n = await c.read(buf); if (n === null) break; h.update(buf.subarray(0, n)); total += n; }
          return [h.digest('hex'), total];
        };
        const [a, b, [ra, na], [rb, nb]] = await Promise.all([send(p.client, 1), send(p.server, 2), recv(p.server), recv(p.client)]);
        assert.equal(na, SIZE);
        assert.equal(nb, SIZE);
        assert.equal(ra, a);
        assert.equal(rb, b);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('toNodeStream through stream.pipeline with a zlib round trip', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const data = Buffer.concat([randomBytes(1 << 20), Buffer.alloc(1 << 20, 'a')]);
        const server = p.server.toNodeStream();
        const serving = pipeline(server, createGunzip(), createGzip(), server);
        const client = p.client.toNodeStream();
        const got: Buffer[] = [];
        await Promise.all([
          pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), createGzip(), client, createGunzip(),
            new Writable({ write(c: Buffer, _e, cb) { got.push(c); cb(); } })),
          serving,
        ]);
        assert.ok(Buffer.concat(got).equals(data));
        assert.ok(p.client.fd.closed && p.server.fd.closed, 'both Duplexes closed their connections when done');
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('readable/writable with pipeTo: an echo through web streams', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const serving = p.server.readable.pipeTo(p.server.writable);
        const data = randomBytes(3 << 20);
        const got: Uint8Array[] = [];
        const src = new ReadableStream<Uint8Array>({
          start(c) { for (let i = 0; i < data.length; i += 100_000) c.enqueue(data.subarray(i, i + 100_000)); c.close(); },
        });
        await Promise.all([
          src.pipeTo(p.client.writable),
          p.client.readable.pipeTo(new WritableStream({ write(c) { got.push(c); } })),
          serving,
        ]);
        assert.ok(Buffer.concat(got).equals(data));
        assert.ok(p.client.fd.closed && p.server.fd.closed, 'both halves done: closed');
        assert.ok(p.client.closed);
        await p.client.close(); // the user's own close after the streams' does not throw
        assert.throws(() => p.client.close(), /use of closed network connection/);
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('Symbol.asyncDispose closes', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        await p.client[Symbol.asyncDispose]();
        assert.ok(p.client.closed);
        await p.client[Symbol.asyncDispose](); // idempotent
      } finally { await p.closeAll(); np.shutdown(); }
    });

    test('echo helper sanity: a small echo round trip', async () => {
      const np = make();
      const p = await connectedPair(np);
      try {
        const serving = echo(p.server);
        await p.client.write(Uint8Array.of(1, 2, 3));
        p.client.closeWrite();
        const b = new Uint8Array(8);
        assert.equal(await p.client.read(b), 3);
        assert.equal(await p.client.read(b), null);
        assert.equal(await serving, 3);
      } finally { await p.closeAll(); np.shutdown(); }
    });
  });
}
