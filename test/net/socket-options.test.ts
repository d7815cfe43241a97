// Per-connection socket options (TCP_NODELAY, keep-alive): checked where the
// caller gives them, never a reason to drop a connection later. Go ignores
// setsockopt errors on new connections (newTCPConn, the dialer's keep-alive).
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dial, listen, Listener, serve } from '../../src/net/index.ts';
import { applySocketOptions, MAX_KEEP_ALIVE, socketOptions } from '../../src/net/sock.ts';
import { settledWithin } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';

let seq = 0;
const sockPath = (): string => join(tmpdir(), `netpoll-sockopt-${process.pid}-${seq++}.sock`);

test('socketOptions: defaults as Go, off for 0 or less, TypeError and RangeError for what the kernel would refuse', () => {
  assert.deepEqual(socketOptions(undefined, undefined), { noDelay: true, keepAlive: 15_000 });
  assert.deepEqual(socketOptions(false, 0), { noDelay: false, keepAlive: 0 });
  assert.deepEqual(socketOptions(true, -1), { noDelay: true, keepAlive: 0 });
  assert.deepEqual(socketOptions(true, MAX_KEEP_ALIVE), { noDelay: true, keepAlive: MAX_KEEP_ALIVE });
  assert.throws(() => socketOptions(true, MAX_KEEP_ALIVE + 1), RangeError);
  assert.throws(() => socketOptions(true, Infinity), RangeError);
  assert.throws(() => socketOptions(true, Number.NaN), TypeError);
  assert.throws(() => socketOptions(true, '15s'), TypeError);
  assert.throws(() => socketOptions(1, 1000), TypeError);
});

test('applySocketOptions ignores what the kernel refuses (a Unix socket, a closed descriptor)', () => {
  assert.doesNotThrow(() => applySocketOptions(-1, { noDelay: true, keepAlive: 1000 }));
  assert.doesNotThrow(() => applySocketOptions(0x7fffffff, { noDelay: true, keepAlive: MAX_KEEP_ALIVE }));
});

for (const b of backendCases) {
  describe(`socket options (${b.backend})`, { skip: b.skip ?? false }, () => {
    test('listen refuses a keep-alive period over 32767 s or Infinity with a RangeError, before making a socket', async () => {
      const np = b.make();
      try {
        await assert.rejects(listen('tcp', '127.0.0.1:0', { netpoll: np, keepAlive: 40_000_000 }), RangeError);
        await assert.rejects(listen('tcp', '127.0.0.1:0', { netpoll: np, keepAlive: Infinity }), RangeError);
        assert.equal(np.size, 0, 'no socket was registered');
      } finally {
        np.shutdown();
      }
    });

    test('dial refuses a keep-alive period over 32767 s with a RangeError instead of failing after connecting', async () => {
      const np = b.make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      try {
        await assert.rejects(dial('tcp', String(ln.addr), { netpoll: np, keepAlive: 40_000_000 }), RangeError);
        await assert.rejects(dial('tcp', String(ln.addr), { netpoll: np, keepAlive: Infinity }), RangeError);
        // Nothing connected: no connection is waiting to be accepted.
        assert.equal(await settledWithin(ln.accept(), 30), 'pending');
      } finally {
        await ln.close();
        np.shutdown();
      }
    });

    test('serve refuses a listener whose keep-alive period the kernel would refuse', async () => {
      const np = b.make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const bad = new Listener(ln.fd, 'tcp', ln.addr, { netpoll: np, keepAlive: Infinity });
      try {
        const r = await settledWithin(serve(bad, { onData() {} }), 200);
        assert.ok(r !== 'pending' && 'error' in r && r.error instanceof RangeError, `serve settled with ${JSON.stringify(r)}`);
      } finally {
        await ln.close();
        np.shutdown();
      }
    });

    test('a TCP option the kernel refuses on an accepted connection does not drop it (accept and serve)', async () => {
      const np = b.make();
      // A Unix listener presented as TCP: TCP_NODELAY and TCP_KEEPIDLE fail on every accepted socket.
      const ln = await listen('unix', sockPath(), { netpoll: np });
      const asTcp = new Listener(ln.fd, 'tcp', ln.addr, { netpoll: np, noDelay: true, keepAlive: 1000 });
      try {
        const [client, server] = await Promise.all([dial('unix', String(ln.addr), { netpoll: np }), asTcp.accept()]);
        await client.write(new TextEncoder().encode('ping'));
        const buf = new Uint8Array(8);
        assert.equal(await server.read(buf), 4);
        await client.close();
        await server.close();

        const served = serve(asTcp, { onData(c, chunk) { c.write(chunk); } });
        const c2 = await dial('unix', String(ln.addr), { netpoll: np });
        await c2.write(new TextEncoder().encode('echo'));
        assert.equal(await c2.read(buf), 4);
        assert.equal(new TextDecoder().decode(buf.subarray(0, 4)), 'echo');
        await c2.close();
        await ln.close();
        await served;
      } finally {
        if (!ln.closed) await ln.close();
        np.shutdown();
      }
    });
  });
}
