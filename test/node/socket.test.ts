// conn.toNodeStream(): a net.Socket-shaped Duplex, checked against what
// net.Socket does (addresses, idle timeout, options, byte counts, states,
// RST, ref/unref), on both poller backends, with Node's own net as the peer.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { C } from '../../src/sys/constants.ts';
import { NodeSocket } from '../../src/net/node-socket.ts';
import { GATHER_MAX } from '../../src/net/write-gather.ts';
import { listen } from '../../src/net/index.ts';
import { connectSocket } from '../../src/node/client.ts';
import { backendCases } from '../helpers/backends.ts';
import { connectedPair } from '../helpers/net.ts';

for (const { backend, skip, make } of backendCases) {
  describe(`NodeSocket (${backend})`, { skip: skip ?? false }, () => {
    test('addresses and address() are net.Socket\'s, from the connection', async () => {
      const np = make();
      const { client, server, closeAll } = await connectedPair(np);
      const s = server.toNodeStream();
      const c = client.toNodeStream();
      assert.equal(s.remoteAddress, '127.0.0.1');
      assert.equal(s.remotePort, client.localAddr.port);
      assert.equal(s.remoteFamily, 'IPv4');
      assert.equal(s.localAddress, '127.0.0.1');
      assert.equal(s.localPort, server.localAddr.port);
      assert.deepEqual(s.address(), { address: '127.0.0.1', family: 'IPv4', port: server.localAddr.port });
      assert.equal(c.remotePort, server.localAddr.port);
      assert.equal(s.readyState, 'open');
      assert.equal(s.pending, false);
      assert.equal(s.connecting, false);
      s.destroy(); c.destroy();
      await closeAll();
      np.shutdown();
    });

    test('IPv6 and Unix sockets: IPv6 family; no IP fields on a Unix socket', async (t) => {
      const np = make();
      let pair;
      try { pair = await connectedPair(np, 'tcp6', '[::1]:0'); } catch { t.skip('no IPv6 loopback'); np.shutdown(); return; }
      const s6 = pair.server.toNodeStream();
      assert.equal(s6.remoteAddress, '::1');
      assert.equal(s6.remoteFamily, 'IPv6');
      s6.destroy();
      await pair.closeAll();
      const u = await connectedPair(np, 'unix', '');
      const su = u.server.toNodeStream();
      assert.equal(su.remoteAddress, undefined);
      assert.equal(su.remotePort, undefined);
      assert.deepEqual(su.address(), {});
      assert.throws(() => su.resetAndDestroy(), { code: 'ERR_INVALID_HANDLE_TYPE' });
      su.destroy();
      await u.closeAll();
      np.shutdown();
    });

    test('setTimeout: emits timeout, does not destroy, fires again only after activity; 0 turns it off', async () => {
      const np = make();
      const { client, server, closeAll } = await connectedPair(np);
      const s = server.toNodeStream();
      const c = client.toNodeStream();
      // Reading, as a net.Socket does from the start: the parked read keeps the loop alive, the timer does not.
      s.resume();
      let fired = 0;
      assert.equal(s.setTimeout(30, () => { fired++; }), s);
      assert.equal(s.timeout, 30);
      await once(s, 'timeout');
      assert.equal(s.destroyed, false);
      // Still usable after the timeout: the listener decides.
      c.write('ping');
      const [d] = await once(s, 'data') as [Buffer];
      assert.equal(d.toString(), 'ping');
      await once(s, 'timeout'); // re-armed by the read
      assert.equal(fired, 1, 'the callback was a once listener');
      s.setTimeout(0);
      assert.equal(s.timeout, 0);
      assert.throws(() => s.setTimeout(-1), RangeError);
      assert.throws(() => s.setTimeout(Number.NaN), TypeError);
      s.destroy(); c.destroy();
      await closeAll();
      np.shutdown();
    });

    test('setNoDelay and setKeepAlive set the socket options and return this', async () => {
      const np = make();
      const { client, server, closeAll } = await connectedPair(np);
      const s = server.toNodeStream();
      assert.equal(s.setNoDelay(false), s);
      assert.equal(server.fd.getsockoptInt(C.IPPROTO_TCP, C.TCP_NODELAY), 0);
      s.setNoDelay(true);
      assert.notEqual(server.fd.getsockoptInt(C.IPPROTO_TCP, C.TCP_NODELAY), 0);
      assert.equal(s.setKeepAlive(false), s);
      assert.equal(server.fd.getsockoptInt(C.SOL_SOCKET, C.SO_KEEPALIVE), 0);
      s.setKeepAlive(true, 30_000);
      assert.notEqual(server.fd.getsockoptInt(C.SOL_SOCKET, C.SO_KEEPALIVE), 0);
      if (C.TCP_KEEPIDLE !== 0) assert.equal(server.fd.getsockoptInt(C.IPPROTO_TCP, C.TCP_KEEPIDLE), 30);
      assert.equal(s.ref(), s);
      assert.equal(s.unref(), s);
      s.destroy();
      // After destroy the setters are no-ops, as on a destroyed net.Socket.
      assert.equal(s.setNoDelay(true), s);
      await closeAll();
      np.shutdown();
    });

    test('bytesRead and bytesWritten count what went each way; small corked writes go out as one write, large ones as one writev of the same buffers', async () => {
      const np = make();
      const { client, server, closeAll } = await connectedPair(np);
      const s = server.toNodeStream();
      const c = client.toNodeStream();
      const writes: number[] = [];
      const vectors: (readonly ArrayBufferView[])[] = [];
      const write = server.write.bind(server);
      const writev = server.writev.bind(server);
      const tryWrite = server.fd.tryWrite.bind(server.fd);
      // The Duplex reaches write and writev through the Conn's streamIO: count on the Conn
      // (and on its FD, for a write tried at once).
      server.write = (b, o, l, sig) => { writes.push(l ?? 0); return write(b, o, l, sig); };
      const tried: number[] = [];
      server.fd.tryWrite = (b, o, l) => { const n = tryWrite(b, o, l); tried.push(n); return n; };
      server.writev = (bufs, sig) => { vectors.push(bufs); return writev(bufs, sig); };
      let got = 0;
      let text = '';
      c.on('data', (d: Buffer) => { got += d.length; if (text.length < 6) text += d.toString('latin1'); });
      // Small: a string head and buffers, as node:http corks a response: gathered into one write(2).
      s.cork();
      s.write('a', 'latin1'); s.write(Buffer.from('bb')); s.write('ccc');
      process.nextTick(() => s.uncork());
      while (got < 6) await once(c, 'data');
      assert.equal(text, 'abbccc');
      assert.equal(c.readableDidRead, true, 'data went straight to the listener and counts as read');
      assert.deepEqual(tried, [6], 'the three corked chunks were one write of 6 bytes, which the kernel took at once');
      assert.deepEqual(writes, [], 'nothing was left for a Conn.write');
      assert.equal(vectors.length, 0);
      // Large: one writev of the caller's own buffers, nothing copied.
      const big1 = Buffer.alloc(GATHER_MAX, 1), big2 = Buffer.alloc(100, 2);
      s.cork();
      s.write(big1); s.write(big2);
      process.nextTick(() => s.uncork());
      while (got < 6 + GATHER_MAX + 100) await once(c, 'data');
      assert.equal(vectors.length, 1, 'one Conn.writev');
      assert.equal(vectors[0]![0], big1);
      assert.equal(vectors[0]![1], big2);
      assert.equal(s.bytesWritten, 6 + GATHER_MAX + 100);
      assert.equal(c.bytesRead, 6 + GATHER_MAX + 100);
      s.destroy(); c.destroy();
      await closeAll();
      np.shutdown();
    });

    test('end() half-closes (readyState readOnly), destroySoon ends then destroys', async () => {
      const np = make();
      const { client, server, closeAll } = await connectedPair(np);
      const s = server.toNodeStream();
      const c = client.toNodeStream();
      c.resume();
      s.end();
      await once(s, 'finish');
      assert.equal(s.readyState, 'readOnly');
      await once(c, 'end');
      c.destroySoon();
      await once(c, 'close');
      assert.equal(c.destroyed, true);
      s.destroy();
      await closeAll();
      np.shutdown();
    });

    test('resetAndDestroy: the peer sees ECONNRESET (RST, not FIN)', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const peer = net.connect(ln.addr.port, '127.0.0.1');
      const connected = once(peer, 'connect');
      const conn = await ln.accept();
      await connected;
      const s = conn.toNodeStream();
      s.resetAndDestroy();
      const [err] = await once(peer, 'error') as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNRESET');
      await ln.close();
      np.shutdown();
    });

    test('a socket returned before its dial: pending, connecting, then connect and ready; writes wait for it', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const sock = connectSocket({ host: '127.0.0.1', port: ln.addr.port }, { netpoll: np });
      assert.equal(sock.pending, true);
      assert.equal(sock.connecting, true);
      assert.equal(sock.readyState, 'opening');
      assert.equal(sock.remoteAddress, undefined);
      sock.write('early');
      const events: string[] = [];
      sock.on('connect', () => events.push('connect'));
      sock.on('ready', () => events.push('ready'));
      const conn = await ln.accept();
      await once(sock, 'ready');
      assert.deepEqual(events, ['connect', 'ready']);
      assert.equal(sock.pending, false);
      assert.equal(sock.remotePort, ln.addr.port);
      const buf = new Uint8Array(5);
      let n = 0;
      while (n < 5) n += (await conn.read(buf, n))!;
      assert.equal(Buffer.from(buf).toString(), 'early');
      sock.destroy();
      await conn.close();
      await ln.close();
      np.shutdown();
    });

    test('a failed dial destroys the pending socket with the dial error', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const port = ln.addr.port;
      await ln.close();
      const sock = connectSocket({ host: '127.0.0.1', port }, { netpoll: np });
      const [err] = await once(sock, 'error') as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNREFUSED');
      assert.equal(sock.destroyed, true);
      np.shutdown();
    });
  });
}

test('NodeSocket over a plain DuplexIO: I/O only, no addresses', () => {
  const s = new NodeSocket({ read: async () => null, write: async (b) => b.length, closeWrite() {}, close() {} });
  assert.equal(s.remoteAddress, undefined);
  assert.deepEqual(s.address(), {});
  s.destroy();
});

// Per connection, as a net.Socket's unref: the child's only connection is
// idle and unref'd, so the child exits; ref'd, it waits for the peer.
test('an unref\'d idle connection does not keep the process alive; a ref\'d one does', async () => {
  const child = fileURLToPath(new URL('./fixtures/unref-child.ts', import.meta.url));
  const unref = spawnSync(process.execPath, ['--import', 'tsx', child, 'unref'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(unref.status, 0, unref.stderr);
  assert.match(unref.stdout, /parked\nexit/);
  // The ref'd one is still there after it parked, until killed.
  const ref = spawn(process.execPath, ['--import', 'tsx', child, 'ref'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  ref.stdout.setEncoding('utf8');
  ref.stdout.on('data', (d: string) => { out += d; });
  while (!out.includes('parked')) {
    const [ev] = await Promise.race([once(ref.stdout, 'data').then(() => ['data']), once(ref, 'exit').then(() => ['exit'])]);
    assert.notEqual(ev, 'exit', `the ref'd child exited: ${out}`);
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(ref.exitCode, null, 'still waiting on its ref\'d connection');
  ref.kill('SIGKILL');
  await once(ref, 'exit');
  assert.doesNotMatch(out, /exit/);
});

for (const { backend, skip, make } of backendCases) {
  test(`conn.readable is a byte stream: a BYOB reader's view is filled in place (${backend})`, { skip: skip ?? false }, async () => {
    const np = make();
    const { client, server, closeAll } = await connectedPair(np);
    const reader = server.readable.getReader({ mode: 'byob' });
    await client.write(new TextEncoder().encode('hello bytes'));
    const mine = new Uint8Array(new ArrayBuffer(64), 8, 32);
    const { value, done } = await reader.read(mine);
    assert.equal(done, false);
    // Same memory, moved into the result (the stream transfers the buffer it was given).
    assert.equal(value!.byteOffset, 8);
    assert.equal(value!.buffer.byteLength, 64);
    assert.equal(new TextDecoder().decode(value!), 'hello bytes'.slice(0, value!.length));
    client.closeWrite();
    let rest = '';
    for (;;) {
      const r = await reader.read(new Uint8Array(16));
      if (r.done) break;
      rest += new TextDecoder().decode(r.value);
    }
    assert.equal(new TextDecoder().decode(value!) + rest, 'hello bytes');
    await closeAll();
    np.shutdown();
  });
}

// As net.Socket's unref while connecting: a dial that cannot complete (the
// listener's accept queue is full) holds the process only while ref'd.
test('an unref\'d connecting socket does not keep the process alive; a ref\'d one does', async () => {
  const child = fileURLToPath(new URL('./fixtures/connecting-unref-child.ts', import.meta.url));
  const unref = spawnSync(process.execPath, ['--import', 'tsx', child, 'unref'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(unref.status, 0, unref.stderr);
  assert.match(unref.stdout, /dialling\nexit connecting=true/);
  const ref = spawn(process.execPath, ['--import', 'tsx', child, 'ref'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  ref.stdout.setEncoding('utf8');
  ref.stdout.on('data', (d: string) => { out += d; });
  while (!out.includes('dialling')) await once(ref.stdout, 'data');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(ref.exitCode, null, 'a ref\'d connecting socket keeps the process alive');
  ref.kill('SIGKILL');
  await once(ref, 'exit');
  assert.doesNotMatch(out, /exit/);
});
