// serve(): the handler-style server. Tagged echoes across 200 connections
// through the one shared read buffer, writes that hit EAGAIN, half-close,
// close during a pending write, read deadlines, abort, and every descriptor
// released.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { type Conn, dial, isClosedError, listen, OpError, serve, type ServeConn, type ServeHandler } from '../../src/net/index.ts';
import { FD } from '../../src/fd/index.ts';
import type { Netpoll } from '../../src/netpoll/index.ts';
import { close as closeRaw, write } from '../../src/sys/libc.ts';
import { settledWithin, sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { fdsOpenedSince, openFds, socketPair } from '../helpers/fds.ts';
import { readFull } from '../helpers/net.ts';

const echoHandler: ServeHandler = { onData(c, chunk) { c.write(chunk); } };

/** Reads to EOF; `pause` ms between reads makes a slow reader. */
async function readToEnd(conn: Conn, pause = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return Buffer.concat(parts);
    parts.push(Buffer.from(buf.subarray(0, n)));
    if (pause > 0) await sleep(pause);
  }
}

/** A message that names its connection and sequence number in every 8-byte word. */
function tagged(conn: number, seq: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  for (let i = 0; i + 8 <= size; i += 8) { v.setUint32(i, conn); v.setUint16(i + 4, seq); v.setUint16(i + 6, i >>> 3); }
  for (let i = size - (size % 8); i < size; i++) b[i] = (conn + seq + i) & 255;
  return b;
}

function withResolvers<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function withServer(np: Netpoll, handler: ServeHandler, opts: Parameters<typeof serve>[2],
                          body: (addr: string, served: Promise<void>) => Promise<void>): Promise<void> {
  const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
  const served = serve(ln, handler, opts);
  try {
    await body(String(ln.addr), served);
  } finally {
    if (!ln.closed) await ln.close();
    await served;
  }
}

for (const { backend, skip, make } of backendCases) {
  describe(`serve (${backend})`, { skip: skip ?? false }, () => {
    test('echo integrity: 200 connections, tagged messages of random sizes, checked per message', async () => {
      const fds0 = openFds();
      const np = make();
      let opened = 0, closed = 0;
      const h: ServeHandler = {
        onConnect() { opened++; },
        onData(c, chunk) { c.write(chunk); },
        onClose() { closed++; },
      };
      await withServer(np, h, {}, async (addr) => {
        await Promise.all(Array.from({ length: 200 }, async (_, id) => {
          const conn = await dial('tcp', addr, { netpoll: np });
          for (let seq = 0; seq < 8; seq++) {
            const msg = tagged(id, seq, randomInt(1, 40_000));
            await conn.write(msg);
            const back = await readFull(conn, msg.length);
            assert.ok(Buffer.from(back).equals(msg), `conn ${id} seq ${seq}: echo differs`);
          }
          conn.closeWrite();
          assert.equal(await conn.read(new Uint8Array(1)), null);
          await conn.close();
        }));
        for (let i = 0; i < 100 && closed < 200; i++) await sleep(10);
      });
      assert.equal(opened, 200);
      assert.equal(closed, 200);
      np.shutdown();
      assert.deepEqual(fdsOpenedSince(fds0), []);
    });

    test('repeated and colliding chunk lengths (64, 128, 1, 65…) each arrive as exactly the bytes sent', async () => {
      const np = make();
      const seen: Uint8Array[] = [];
      const h: ServeHandler = { onData(c, chunk) { seen.push(chunk); c.write(chunk); } };
      await withServer(np, h, {}, async (addr) => {
        const conn = await dial('tcp', addr, { netpoll: np });
        conn.setReadDeadline(Date.now() + 5000); // a wrong echo fails the read instead of waiting forever
        try {
          for (const [seq, size] of [64, 128, 64, 1, 65, 1, 129, 64, 2, 66].entries()) {
            const msg = tagged(3, seq, size);
            await conn.write(msg);
            assert.ok(Buffer.from(await readFull(conn, size)).equals(msg), `message ${seq} (${size} B)`);
          }
        } finally {
          await conn.close();
        }
      });
      assert.deepEqual(seen.map((c) => c.byteLength), [64, 128, 64, 1, 65, 1, 129, 64, 2, 66]);
      // Read 7 is a 64-byte read whose slot still holds read 2's view: the same view, no new one.
      assert.equal(seen[7], seen[2]);
      assert.notEqual(seen[2], seen[0]); // read 1 (128 B, the same slot) replaced read 0's
      np.shutdown();
    });

    test('the peer address and TCP_NODELAY of a served connection', async () => {
      const np = make();
      const seen = withResolvers<{ remote: string; local: string; nodelay: number }>();
      const { C } = await import('../../src/sys/constants.ts');
      const { getsockoptInt } = await import('../../src/sys/socket.ts');
      await withServer(np, {
        onConnect(c) {
          const out = new Int32Array(1);
          getsockoptInt(c.sysfd, C.IPPROTO_TCP, C.TCP_NODELAY, out);
          seen.resolve({ remote: String(c.remoteAddr), local: String(c.localAddr), nodelay: out[0]! });
        },
        onData() {},
      }, {}, async (addr) => {
        const conn = await dial('tcp', addr, { netpoll: np });
        const s = await seen.promise;
        assert.equal(s.remote, String(conn.localAddr));
        assert.equal(s.local, addr);
        assert.notEqual(s.nodelay, 0);
        await conn.close();
      });
      np.shutdown();
    });

    test('writes that hit EAGAIN (8 MiB each way, slow reader) keep order and bytes; reading pauses above the high-water mark', async () => {
      const fds0 = openFds();
      const np = make();
      let queuedWrites = 0, drains = 0, maxBuffered = 0;
      const h: ServeHandler = {
        onData(c, chunk) {
          if (!c.write(chunk)) queuedWrites++;
          maxBuffered = Math.max(maxBuffered, c.bufferedAmount);
        },
        onDrain() { drains++; },
      };
      await withServer(np, h, { highWaterMark: 256 * 1024 }, async (addr) => {
        await Promise.all([0, 1, 2].map(async (i) => {
          const conn = await dial('tcp', addr, { netpoll: np });
          const data = randomBytes(8 << 20);
          const reading = readToEnd(conn, i === 0 ? 2 : 0);
          for (let off = 0; off < data.length; off += 1 << 20) await conn.write(data, off, 1 << 20);
          conn.closeWrite();
          const back = await reading;
          assert.equal(back.length, data.length);
          assert.equal(sha(back), sha(data));
          await conn.close();
        }));
      });
      assert.ok(queuedWrites > 0, 'some writes were queued');
      assert.ok(drains > 0, 'onDrain ran');
      assert.ok(maxBuffered <= 256 * 1024 + 64 * 1024, `buffered at most ${maxBuffered}`);
      np.shutdown();
      assert.deepEqual(fdsOpenedSince(fds0), []);
    });

    test('onEnd on the peer\'s half-close; the server then ends its side and closes', async () => {
      const np = make();
      const ends: string[] = [];
      await withServer(np, {
        onData(c, chunk) { c.write(chunk); },
        onEnd(c) { ends.push('end'); c.write(Buffer.from('bye')); },
        onClose() { ends.push('close'); },
      }, {}, async (addr) => {
        const conn = await dial('tcp', addr, { netpoll: np });
        await conn.write(Buffer.from('hello'));
        conn.closeWrite();
        assert.equal((await readToEnd(conn)).toString(), 'hellobye');
        for (let i = 0; i < 50 && ends.length < 2; i++) await sleep(5);
        assert.deepEqual(ends, ['end', 'close']);
        await conn.close();
      });
      np.shutdown();
    });

    test('allowHalfOpen: after the peer\'s EOF the handler still writes, then ends', async () => {
      const np = make();
      await withServer(np, {
        onData(c, chunk) { c.data = ((c.data as number | undefined) ?? 0) + chunk.length; },
        onEnd(c) {
          setTimeout(() => { c.write(Buffer.from(`got ${String(c.data)}`)); c.end(); }, 20);
        },
      }, { allowHalfOpen: true }, async (addr) => {
        const conn = await dial('tcp', addr, { netpoll: np });
        await conn.write(new Uint8Array(1000));
        conn.closeWrite();
        assert.equal((await readToEnd(conn)).toString(), 'got 1000');
        await conn.close();
      });
      np.shutdown();
    });

    test('close during a pending write drops the queue and releases the descriptor once', async () => {
      const fds0 = openFds();
      const np = make();
      const events: string[] = [];
      const closedOnce = withResolvers<void>();
      await withServer(np, {
        onConnect(c) {
          const r = c.write(new Uint8Array(32 << 20)); // far more than the socket buffers hold
          events.push(`write ${String(r)} ${c.bufferedAmount > 0 ? 'queued' : 'sent'}`);
          setTimeout(() => { c.close(); c.close(); assert.equal(c.write(Uint8Array.of(1)), false); closedOnce.resolve(); }, 30);
        },
        onData() {},
        onError(_c, e) { events.push(`error ${String(e)}`); },
        onClose(c) { events.push(`close ${c.sysfd}`); },
      }, {}, async (addr) => {
        const conn = await dial('tcp', addr, { netpoll: np });
        await closedOnce.promise;
        await sleep(20);
        assert.deepEqual(events, ['write false queued', 'close -1']);
        // What was sent before the close arrives, then EOF (or a reset).
        const got = await readToEnd(conn).then((b) => b.length, (e: unknown) => (e as OpError).code);
        assert.ok(got === 'ECONNRESET' || (typeof got === 'number' && got < 32 << 20), `client got ${String(got)}`);
        await conn.close();
      });
      np.shutdown();
      assert.deepEqual(fdsOpenedSince(fds0), []);
    });

    test('readDeadlineMs: an idle connection gets ETIMEDOUT in onError, then is closed', async () => {
      const np = make();
      const errors: unknown[] = [];
      await withServer(np, {
        onData(c, chunk) { c.write(chunk); },
        onError(_c, e) { errors.push(e); },
      }, { readDeadlineMs: 300 }, async (addr) => {
        const conn = await dial('tcp', addr, { netpoll: np });
        const t0 = performance.now();
        // Activity re-arms the deadline: three pauses of 100 ms add up to
        // more than one deadline, and each leaves 200 ms of slack for a busy machine.
        for (let i = 0; i < 3; i++) {
          await sleep(100);
          await conn.write(Uint8Array.of(i));
          assert.deepEqual(await readFull(conn, 1), Uint8Array.of(i));
        }
        assert.equal(errors.length, 0);
        assert.equal(await conn.read(new Uint8Array(1)), null);
        const took = performance.now() - t0;
        assert.ok(took >= 590 && took < 10_000, `closed after ${took} ms`);
        assert.equal(errors.length, 1);
        const e = errors[0];
        assert.ok(e instanceof OpError, String(e));
        assert.equal(e.code, 'ETIMEDOUT');
        assert.equal(e.op, 'read');
        assert.equal(e.timeout, true);
        assert.equal(String(e.addr), String(conn.localAddr));
        assert.match(e.message, /^read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: i\/o timeout$/);
        await conn.close();
      });
      np.shutdown();
    });

    test('setReadDeadline from the handler; moving it in onError keeps the connection', async () => {
      const np = make();
      let timeouts = 0;
      await withServer(np, {
        onConnect(c) { c.setReadDeadline(Date.now() + 30); },
        onData(c, chunk) { c.write(chunk); },
        onError(c, e) {
          if ((e as OpError).timeout && ++timeouts === 1) { c.setReadDeadline(null); c.write(Buffer.from('ping')); }
        },
      }, {}, async (addr) => {
        const conn = await dial('tcp', addr, { netpoll: np });
        assert.equal(Buffer.from(await readFull(conn, 4)).toString(), 'ping');
        await conn.write(Buffer.from('x'));
        assert.equal(Buffer.from(await readFull(conn, 1)).toString(), 'x');
        assert.equal(timeouts, 1);
        await conn.close();
      });
      np.shutdown();
    });

    test('a peer reset reaches onError as an OpError; a throwing onData closes the connection', async () => {
      const np = make();
      const errors: string[] = [];
      const done = withResolvers<void>();
      const { setLinger } = await import('../../src/sys/socket.ts');
      await withServer(np, {
        onData(c, chunk) { if (chunk[0] === 0x21) throw new Error('boom'); c.write(chunk); },
        onError(_c, e) { errors.push(e instanceof OpError ? `${e.op} ${e.code}` : (e as Error).message); if (errors.length === 2) done.resolve(); },
      }, {}, async (addr) => {
        const a = await dial('tcp', addr, { netpoll: np });
        await a.write(Buffer.from('!'));
        assert.equal(await a.read(new Uint8Array(1)), null);
        await a.close();
        const b = await dial('tcp', addr, { netpoll: np });
        await b.write(Buffer.from('x'));
        await readFull(b, 1);
        setLinger(b.fd.sysfd, 0);
        await b.close(); // RST
        await Promise.race([done.promise, sleep(1000)]);
        assert.deepEqual(errors, ['boom', 'read ECONNRESET']);
      });
      np.shutdown();
    });

    test('aborting the signal stops serving and closes the listener; served connections go on', async () => {
      const fds0 = openFds();
      const np = make();
      const ac = new AbortController();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const served = serve(ln, echoHandler, { signal: ac.signal });
      const conn = await dial('tcp', String(ln.addr), { netpoll: np });
      await conn.write(Buffer.from('a'));
      await readFull(conn, 1);
      ac.abort();
      assert.notEqual(await settledWithin(served, 1000), 'pending');
      assert.ok(ln.closed);
      await assert.rejects(dial('tcp', String(ln.addr), { netpoll: np }), (e) => (e as OpError).code === 'ECONNREFUSED');
      await conn.write(Buffer.from('b'));
      assert.equal(Buffer.from(await readFull(conn, 1)).toString(), 'b');
      await conn.close();
      await sleep(20);
      np.shutdown();
      assert.deepEqual(fdsOpenedSince(fds0), []);
    });

    test('an already-aborted signal resolves at once; closing the listener from outside resolves too', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      await serve(ln, echoHandler, { signal: AbortSignal.abort() });
      assert.ok(ln.closed);
      const ln2 = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const served = serve(ln2, echoHandler);
      await sleep(5);
      await ln2.close();
      assert.notEqual(await settledWithin(served, 1000), 'pending');
      await assert.rejects(serve(ln2, {} as ServeHandler), TypeError);
      np.shutdown();
    });

    test('a handler may readChunk() another connection: its own chunk stays intact', async () => {
      const np = make();
      const [p, q] = socketPair();
      const other = new FD(q, { netpoll: np });
      write(p, new Uint8Array(65536).fill(0x59), 65536); // 'Y' waiting on the other descriptor
      let seen = '';
      let got: Promise<Uint8Array | null> | null = null;
      await withServer(np, {
        onData(_c, chunk) {
          if (got !== null) return;
          const before = chunk[0];
          got = other.readChunk(); // reads at once: the data is there
          seen = `${before}->${chunk[0]}`;
        },
      }, {}, async (addr) => {
        const c = await dial('tcp', addr, { netpoll: np });
        await c.write(new Uint8Array(256 * 1024).fill(0x58)); // 'X'
        for (let i = 0; i < 100 && got === null; i++) await sleep(5);
        assert.equal(seen, '88->88');
        const ch = (await got)!;
        assert.ok(ch.length > 0 && ch.every((x) => x === 0x59), 'the other connection got its own bytes');
        await c.close();
      });
      await other.close();
      closeRaw(p);
      np.shutdown();
    });

    test('a handler that shuts the Netpoll down mid-drain ends serving without a poller failure', async () => {
      const np = make();
      const np2 = make();
      const warnings: string[] = [];
      const onWarning = (w: Error): void => { warnings.push(w.message); };
      process.on('warning', onWarning);
      try {
        const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
        let calls = 0;
        const served = serve(ln, { onData() { if (calls++ === 0) np.shutdown(); }, onError() {} }).catch(() => {});
        const clients = await Promise.all(Array.from({ length: 200 }, () => dial('tcp', String(ln.addr), { netpoll: np2 })));
        await sleep(50);
        await Promise.all(clients.map((c) => c.write(new Uint8Array(1))));
        for (let i = 0; i < 100 && !np.closed; i++) await sleep(5);
        await sleep(20);
        assert.equal(np.closed, true);
        assert.deepEqual(warnings.filter((w) => w.includes('poller failed')), []);
        for (const c of clients) await c.close();
        await served;
      } finally {
        process.off('warning', onWarning);
        np2.shutdown();
      }
    });

    test('a closed connection refuses deadlines with the closed error', async () => {
      const np = make();
      const got = withResolvers<ServeConn>();
      await withServer(np, { onConnect(c) { c.close(); got.resolve(c); }, onData() {} }, {}, async (addr) => {
        const conn = await dial('tcp', addr, { netpoll: np });
        const c = await got.promise;
        assert.ok(c.closed);
        assert.equal(c.sysfd, -1);
        assert.throws(() => c.setReadDeadline(null), (e) => isClosedError(e) && (e as OpError).op === 'set');
        await conn.close();
      });
      np.shutdown();
    });
  });
}
