// dial and listen: refused, in use, timeouts, cancellation, bad addresses,
// tcp6, Unix sockets, each test named after the Go behaviour it checks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddrError, type Conn, dial, listen, type Listener, OpError, UnknownNetworkError } from '../../src/net/index.ts';
import { IS_LINUX } from '../../src/sys/platform.ts';
import { settledWithin, sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { echo, fullBacklog } from '../helpers/net.ts';

for (const { backend, skip, make } of backendCases) {
  describe(`dial/listen (${backend})`, { skip: skip ?? false }, () => {
    test('connect to a closed port: ECONNREFUSED wrapped as connect, Go\'s message', async () => {
      const np = make();
      try {
        const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
        const port = ln.addr.port;
        await ln.close();
        await assert.rejects(dial('tcp', `127.0.0.1:${port}`, { netpoll: np }), (e) => {
          assert.ok(e instanceof OpError);
          assert.equal(e.code, 'ECONNREFUSED');
          assert.equal(e.op, 'dial');
          assert.equal(e.syscall, 'connect');
          assert.equal(e.message, `dial tcp 127.0.0.1:${port}: connect: connection refused`);
          return true;
        });
        assert.equal(np.size, 0, 'the failed socket was closed');
      } finally { np.shutdown(); }
    });

    test('EADDRINUSE: a second listener on the same port; reusePort lets two share it', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      try {
        await assert.rejects(listen('tcp', String(ln.addr), { netpoll: np }), (e) => {
          assert.ok(e instanceof OpError);
          assert.equal(e.code, 'EADDRINUSE');
          assert.equal(e.message, `listen tcp ${String(ln.addr)}: bind: address already in use`);
          return true;
        });
        const a = await listen('tcp', '127.0.0.1:0', { netpoll: np, reusePort: true });
        const b = await listen('tcp', String(a.addr), { netpoll: np, reusePort: true });
        assert.equal(b.addr.port, a.addr.port);
        await a.close(); await b.close();
        assert.equal(np.size, 1);
      } finally { await ln.close(); np.shutdown(); }
    });

    test('dial timeout and deadline expiry give ETIMEDOUT, on time; the socket is closed', async () => {
      const np = make();
      const full = await fullBacklog(np);
      try {
        const before = np.size;
        const choices = [() => ({ timeout: 60 }), () => ({ deadline: Date.now() + 60 }), () => ({ deadline: new Date(Date.now() + 60) })];
        for (const choice of choices) {
          const opts = choice();
          const t0 = performance.now();
          await assert.rejects(dial('tcp', String(full.ln.addr), { netpoll: np, ...opts }), (e) => {
            assert.ok(e instanceof OpError, String(e));
            assert.equal(e.code, 'ETIMEDOUT');
            assert.equal(e.timeout, true);
            assert.equal(e.message, `dial tcp ${String(full.ln.addr)}: i/o timeout`);
            return true;
          });
          const took = performance.now() - t0;
          assert.ok(took >= 40 && took < 1500, `took ${took} ms`);
        }
        // A deadline already past fails at once.
        await assert.rejects(dial('tcp', String(full.ln.addr), { netpoll: np, deadline: Date.now() - 1 }), /i\/o timeout/);
        assert.equal(np.size, before, 'no socket left behind');
      } finally { await full.close(); np.shutdown(); }
    });

    test('cancellation rejects with the signal\'s reason; aborting after a successful dial does not poison the conn', async () => {
      const np = make();
      const full = await fullBacklog(np);
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      try {
        const before = np.size;
        const ac = new AbortController();
        const reason = new Error('changed my mind');
        const pending = dial('tcp', String(full.ln.addr), { netpoll: np, signal: ac.signal });
        await sleep(20);
        ac.abort(reason);
        const r = await settledWithin(pending, 500);
        assert.notEqual(r, 'pending');
        assert.equal((r as { error: unknown }).error, reason);
        assert.equal(np.size, before, 'the cancelled socket was closed');
        // Already aborted: rejects before doing anything.
        await assert.rejects(dial('tcp', String(ln.addr), { netpoll: np, signal: ac.signal }), (e) => e === reason);

        const ac2 = new AbortController();
        const [c, s] = await Promise.all([dial('tcp', String(ln.addr), { netpoll: np, signal: ac2.signal, timeout: 200 }), ln.accept()]);
        ac2.abort();
        await sleep(250); // past the dial timeout too: it was cleared
        const serving = echo(s);
        await c.write(Uint8Array.of(1, 2));
        const b = new Uint8Array(4);
        assert.equal(await c.read(b), 2);
        c.closeWrite();
        assert.equal(await c.read(b), null);
        await serving;
        await c.close(); await s.close();
      } finally { await ln.close(); await full.close(); np.shutdown(); }
    });

    test('500 dials with 50 ms timeouts, 100 at a time: each either fails with a timeout or is really connected', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np, backlog: 64 });
      const served: Promise<unknown>[] = [];
      const accepting = (async () => { for await (const s of ln) served.push(echo(s, 16).finally(() => s.close())); })();
      try {
        // Waves of 100: one burst of 500 spends its 50 ms making sockets before the loop turns.
        const results: PromiseSettledResult<Conn>[] = [];
        for (let wave = 0; wave < 5; wave++) {
          results.push(...await Promise.allSettled(Array.from({ length: 100 }, () => dial('tcp', String(ln.addr), { netpoll: np, timeout: 50 }))));
        }
        let ok = 0, timedOut = 0;
        await Promise.all(results.map(async (r, i) => {
          if (r.status === 'rejected') {
            assert.equal((r.reason as OpError).code, 'ETIMEDOUT', String(r.reason));
            timedOut++;
            return;
          }
          const c = r.value;
          await c.write(Uint8Array.of(i & 0xff));
          c.closeWrite();
          const b = new Uint8Array(4);
          c.setReadDeadline(Date.now() + 5000);
          assert.equal(await c.read(b), 1);
          assert.equal(b[0], i & 0xff);
          assert.equal(await c.read(b), null);
          await c.close();
          ok++;
        }));
        assert.equal(ok + timedOut, 500);
        assert.ok(ok > 0, `some dials connected (${ok} ok, ${timedOut} timed out)`);
      } finally {
        await ln.close();
        await accepting;
        await Promise.allSettled(served);
        np.shutdown();
      }
    });

    test('bad addresses: missing port, bad port, missing bracket, unknown network, tcp4 given IPv6', async () => {
      const np = make();
      try {
        const cases: [string, string, RegExp][] = [
          ['tcp', '127.0.0.1', /^dial tcp: address 127\.0\.0\.1: missing port in address$/],
          ['tcp', ':99999', /^dial tcp: address 99999: invalid port$/],
          ['tcp', '[::1', /^dial tcp: address \[::1: missing '\]' in address$/],
          ['tcp', '1.2.3.4:-1', /invalid port/],
          ['tcp4', '[::1]:80', /^dial tcp4: address ::1: no suitable address found$/],
        ];
        for (const [net, addr, msg] of cases) {
          await assert.rejects(dial(net as 'tcp', addr, { netpoll: np }), (e) => {
            assert.ok(e instanceof OpError);
            assert.ok(e.cause instanceof AddrError);
            assert.equal(e.code, 'ERR_NETPOLL_BAD_ADDRESS');
            assert.match(e.message, msg);
            return true;
          }, `${net} ${addr}`);
          await assert.rejects(listen(net as 'tcp', addr, { netpoll: np }), (e) => e instanceof OpError && e.message.startsWith(`listen ${net}: address`));
        }
        await assert.rejects(dial('udp' as 'tcp', '127.0.0.1:1', { netpoll: np }), (e) => {
          assert.ok(e instanceof OpError && e.cause instanceof UnknownNetworkError);
          assert.equal(e.message, 'dial udp: unknown network udp');
          return true;
        });
        assert.equal(np.size, 0);
      } finally { np.shutdown(); }
    });

    test('names: localhost:0 listens on 127.0.0.1 and dials by name; :0 listens dual-stack', async () => {
      const np = make();
      const ln = await listen('tcp', 'localhost:0', { netpoll: np });
      const any = await listen('tcp', ':0', { netpoll: np });
      try {
        assert.equal(ln.addr.address, '127.0.0.1');
        const [c, s] = await Promise.all([dial('tcp', `localhost:${ln.addr.port}`, { netpoll: np }), ln.accept()]);
        assert.equal(String(c.remoteAddr), String(ln.addr));
        await c.close(); await s.close();
        assert.match(String(any.addr), /^\[::\]:\d+$/);
        for (const host of ['127.0.0.1', '[::1]']) {
          const [c2, s2] = await Promise.all([dial('tcp', `${host}:${any.addr.port}`, { netpoll: np }), any.accept()]);
          assert.equal(String(s2.remoteAddr), String(c2.localAddr));
          // A wildcard listener's connection learns its local address from the kernel.
          assert.equal(String(s2.localAddr), String(c2.remoteAddr));
          await c2.close(); await s2.close();
        }
        // Empty host: the local system.
        const [c3, s3] = await Promise.all([dial('tcp', `:${ln.addr.port}`, { netpoll: np }), ln.accept()]);
        await c3.close(); await s3.close();
      } finally { await ln.close(); await any.close(); np.shutdown(); }
    });

    test('tcp6: [::1]:0 listens with IPV6_V6ONLY, IPv4 cannot reach it; tcp4 listens on 0.0.0.0', async () => {
      const np = make();
      const ln = await listen('tcp6', '[::1]:0', { netpoll: np });
      const ln4 = await listen('tcp4', ':0', { netpoll: np });
      try {
        const { C } = await import('../../src/sys/constants.ts');
        assert.equal(ln.fd.getsockoptInt(C.IPPROTO_IPV6, C.IPV6_V6ONLY), 1);
        assert.match(String(ln.addr), /^\[::1\]:\d+$/);
        assert.match(String(ln4.addr), /^0\.0\.0\.0:\d+$/);
        const [c, s] = await Promise.all([dial('tcp6', String(ln.addr), { netpoll: np }), ln.accept()]);
        assert.match(String(c.localAddr), /^\[::1\]:\d+$/);
        await c.close(); await s.close();
        await assert.rejects(dial('tcp', `127.0.0.1:${ln.addr.port}`, { netpoll: np }), /connection refused/);
      } finally { await ln.close(); await ln4.close(); np.shutdown(); }
    });

    test('localAddress binds the dialing end', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      try {
        const [c, s] = await Promise.all([dial('tcp', String(ln.addr), { netpoll: np, localAddress: '127.0.0.2' }), ln.accept()]);
        assert.equal(c.localAddr.address, '127.0.0.2');
        assert.equal(s.remoteAddr.address, '127.0.0.2');
        await c.close(); await s.close();
        await assert.rejects(dial('tcp', String(ln.addr), { netpoll: np, localAddress: 'not-an-ip:0' }), /local address must be an IP address/);
      } finally { await ln.close(); np.shutdown(); }
    });

    test('unix: echo over a path, the file goes on close, EADDRINUSE while it exists', async () => {
      const np = make();
      const dir = mkdtempSync(join(tmpdir(), 'netpoll-'));
      const path = join(dir, 's.sock');
      try {
        const ln = await listen('unix', path, { netpoll: np });
        assert.equal(String(ln.addr), path);
        assert.equal(ln.addr.network, 'unix');
        await assert.rejects(listen('unix', path, { netpoll: np }), (e) => (e as OpError).code === 'EADDRINUSE');
        const [c, s] = await Promise.all([dial('unix', path, { netpoll: np }), ln.accept()]);
        assert.equal(String(c.remoteAddr), path);
        assert.equal(String(s.localAddr), path);
        const serving = echo(s);
        await c.write(new TextEncoder().encode('over unix'));
        c.closeWrite();
        const b = new Uint8Array(64);
        const n = (await c.read(b))!;
        assert.equal(new TextDecoder().decode(b.subarray(0, n)), 'over unix');
        await serving;
        c.setNoDelay(true); // a no-op on Unix sockets
        await c.close(); await s.close();
        await ln.close();
        assert.equal(existsSync(path), false);
      } finally { rmSync(dir, { recursive: true, force: true }); np.shutdown(); }
    });

    test('unix: a path that does not exist is ENOENT; a socket file with mode 0 refuses non-root (root still connects on Linux)', async () => {
      const np = make();
      const dir = mkdtempSync(join(tmpdir(), 'netpoll-'));
      try {
        const nowhere = join(dir, 'nope.sock');
        await assert.rejects(dial('unix', nowhere, { netpoll: np }), (e) => {
          assert.ok(e instanceof OpError);
          assert.equal(e.code, 'ENOENT');
          assert.equal(e.message, `dial unix ${nowhere}: connect: no such file or directory`);
          return true;
        });
        const path = join(dir, 'locked.sock');
        const ln = await listen('unix', path, { netpoll: np });
        chmodSync(path, 0o000);
        const root = process.getuid?.() === 0;
        if (root && IS_LINUX) {
          const [c, s] = await Promise.all([dial('unix', path, { netpoll: np }), ln.accept()]);
          await c.close(); await s.close();
        } else {
          await assert.rejects(dial('unix', path, { netpoll: np }), (e) => (e as OpError).code === 'EACCES');
        }
        await ln.close();
        await assert.rejects(dial('unix', '', { netpoll: np }), /missing address/);
        assert.equal(np.size, 0);
      } finally { rmSync(dir, { recursive: true, force: true }); np.shutdown(); }
    });

    test('unix: Linux abstract names (@name) leave no file behind', { skip: !IS_LINUX }, async () => {
      const np = make();
      const name = `@netpoll-test-${process.pid}-${backend}`;
      const ln = await listen('unix', name, { netpoll: np });
      try {
        assert.equal(String(ln.addr), name);
        const [c, s] = await Promise.all([dial('unix', name, { netpoll: np }), ln.accept()]);
        assert.equal(String(c.remoteAddr), name);
        await c.close(); await s.close();
      } finally { await ln.close(); np.shutdown(); }
    });
  });
}
