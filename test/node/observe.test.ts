// Seeing netpoll work the Node way: stats() snapshots, diagnostics_channel
// messages, NODE_DEBUG=netpoll.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { dial, listen, serve, type ServeConn } from '../../src/net/index.ts';
import { setBudget, DEFAULT_BUDGET } from '../../src/netpoll/budget.ts';
import { NetpollAgent, serveHttp, stats, CHANNELS } from '../../src/node/index.ts';
import { backendCases } from '../helpers/backends.ts';
import { request } from '../helpers/node.ts';

for (const { backend, skip, make } of backendCases) {
  describe(`stats (${backend})`, { skip: skip ?? false }, () => {
    test('descriptors, parked reads, polls and events, per-listener accepts, per-server connections and bytes buffered', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const server = http.createServer((_req, res) => res.end('ok'));
      void serveHttp(ln, server);
      const before = stats(np);
      assert.equal(before.backend, backend);
      const mine = (s: ReturnType<typeof stats>) => s.listeners.find((l) => l.address === String(ln.addr));
      assert.equal(mine(before)?.accepted, 0);
      const agent = new NetpollAgent({ keepAlive: true, netpoll: np });
      for (let i = 0; i < 3; i++) await request(`http://127.0.0.1:${ln.addr.port}/`, { agent });
      const after = stats(np);
      assert.equal(mine(after)?.accepted, 1, 'one pooled connection');
      assert.equal(mine(after)?.acceptErrors, 0);
      const srv = after.servers.find((s) => s.address === String(ln.addr));
      assert.equal(srv?.connections, 1);
      assert.equal(srv?.bytesBuffered, 0);
      assert.ok(after.descriptorsOpen >= 3, 'listener, server end, client end');
      assert.ok(after.polls > before.polls);
      assert.ok(after.events > before.events);
      // Both idle keep-alive ends wait in a parked read.
      assert.ok(after.readsParked >= 2);
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      const closed = stats(np);
      assert.equal(mine(closed), undefined, 'a closed listener leaves the snapshot');
      assert.equal(closed.servers.find((s) => s.address === String(ln.addr)), undefined);
      np.shutdown();
    });

    test('deadlines armed and fired, wake-ups, budget deferrals and slice overruns', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const [client, conn] = await Promise.all([dial('tcp', String(ln.addr), { netpoll: np }), ln.accept()]);
      const s0 = stats(np);
      conn.setReadDeadline(Date.now() + 20);
      assert.equal(stats(np).deadlinesArmed, s0.deadlinesArmed + 1);
      await assert.rejects(conn.read(new Uint8Array(8)), { code: 'ETIMEDOUT' });
      assert.equal(stats(np).deadlinesFired, s0.deadlinesFired + 1);
      np.wake();
      assert.equal(stats(np).wakeups, s0.wakeups + 1);
      setBudget(1);
      try {
        await client.write(new Uint8Array(64));
        await client.write(new Uint8Array(64));
        conn.setReadDeadline(null);
        await conn.read(new Uint8Array(8));
        await conn.read(new Uint8Array(8));
      } finally {
        setBudget(DEFAULT_BUDGET);
      }
      const s1 = stats(np);
      assert.ok(s1.budgetDeferrals > s0.budgetDeferrals);
      assert.ok(s1.sliceOverruns > s0.sliceOverruns);
      await client.close(); await conn.close(); await ln.close();
      np.shutdown();
    });

    test('an event for a descriptor closed earlier in the same drain is dropped and counted stale', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const conns: ServeConn[] = [];
      let data = 0;
      let bothIn!: () => void;
      const accepted = new Promise<void>((r) => { bothIn = r; });
      // Whichever connection is served first closes the other, whose readiness
      // was harvested in the same poll: that event then reaches nobody.
      void serve(ln, {
        onConnect: (c) => { if (conns.push(c) === 2) bothIn(); },
        onData: (c) => { data++; for (const o of conns) if (o !== c) o.close(); },
      });
      const a = net.connect(ln.addr.port, '127.0.0.1');
      const b = net.connect(ln.addr.port, '127.0.0.1');
      await accepted;
      // Both server ends have read nothing yet and wait parked on the poller.
      await new Promise((r) => setTimeout(r, 20));
      const before = stats(np).staleEventsDropped;
      // The closed one sees a reset (its byte was never read).
      a.on('error', () => {}); b.on('error', () => {});
      const closedOne = new Promise((r) => { a.once('close', r); b.once('close', r); });
      // Sent in one synchronous run: both become readable before the next drain.
      a.write('x');
      b.write('y');
      await closedOne;
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(data, 1, 'only the first connection served its data');
      assert.equal(stats(np).staleEventsDropped, before + 1);
      a.destroy(); b.destroy();
      for (const c of conns) c.close();
      await ln.close();
      np.shutdown();
    });

    test('serve() reports its connections and what they have queued', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      let got!: () => void;
      const connected = new Promise<void>((r) => { got = r; });
      void serve(ln, { onConnect: () => got(), onData: () => {} });
      const peer = net.connect(ln.addr.port, '127.0.0.1');
      await connected;
      const srv = stats(np).servers.find((s) => s.address === String(ln.addr));
      assert.equal(srv?.connections, 1);
      assert.equal(stats(np).listeners.find((l) => l.address === String(ln.addr))?.accepted, 1);
      peer.destroy();
      await ln.close();
      np.shutdown();
    });
  });
}

test('diagnostics_channel: server and client connections, dial and listen traced, deadlines, drains', async () => {
  const seen: Record<string, unknown[]> = {};
  const push = (k: string) => (m: unknown) => { (seen[k] ??= []).push(m); };
  const subs: [string, (m: unknown) => void][] = [
    [CHANNELS.serverConn, push('server')], [CHANNELS.clientConn, push('client')],
    [CHANNELS.deadlineFired, push('deadline')], [CHANNELS.pollerDrained, push('drained')],
  ];
  assert.equal(dc.hasSubscribers(CHANNELS.serverConn), false, 'nobody listens by default');
  for (const [n, f] of subs) dc.subscribe(n, f);
  const dialT = dc.tracingChannel('netpoll.dial');
  const listenT = dc.tracingChannel('netpoll.listen');
  const traced = {
    start: push('traceStart'), end: () => {}, asyncStart: () => {}, asyncEnd: push('traceAsyncEnd'), error: push('traceError'),
  };
  dialT.subscribe(traced);
  listenT.subscribe(traced);
  try {
    const ln = await listen('tcp', '127.0.0.1:0');
    const server = http.createServer((_req, res) => res.end('ok'));
    void serveHttp(ln, server);
    const agent = new NetpollAgent();
    await request(`http://127.0.0.1:${ln.addr.port}/`, { agent });
    const c = await dial('tcp', String(ln.addr));
    c.setReadDeadline(Date.now() + 10);
    await assert.rejects(c.read(new Uint8Array(1)), { code: 'ETIMEDOUT' });
    await c.close();
    await assert.rejects(dial('tcp', '127.0.0.1:1'));
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));

    const starts = seen.traceStart as { network: string; address: string }[];
    assert.ok(starts.some((s) => s.network === 'tcp' && s.address === '127.0.0.1:0'), 'listen traced');
    assert.ok(starts.some((s) => s.address === String(ln.addr)), 'dial traced');
    assert.ok((seen.traceAsyncEnd ?? []).length >= 2);
    assert.ok((seen.traceError as { error: { code: string } }[]).some((e) => e.error.code === 'ECONNREFUSED'));
    const sc = seen.server as { socket: { remoteAddress: string }; server: unknown }[];
    assert.ok(sc.length >= 1 && sc[0]!.server === server && sc[0]!.socket.remoteAddress === '127.0.0.1');
    assert.ok((seen.client ?? []).length >= 1);
    assert.ok((seen.deadline as { read: boolean }[]).some((d) => d.read));
    assert.ok((seen.drained as { events: number }[]).some((d) => d.events > 0));
  } finally {
    for (const [n, f] of subs) dc.unsubscribe(n, f);
    dialT.unsubscribe(traced);
    listenT.unsubscribe(traced);
  }
});

test('NODE_DEBUG=netpoll logs through the channels', () => {
  const child = fileURLToPath(new URL('./fixtures/debug-child.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_DEBUG: 'netpoll' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /NETPOLL \d+: listen tcp 127\.0\.0\.1:0/);
  assert.match(r.stderr, /NETPOLL \d+: dial tcp 127\.0\.0\.1:\d+/);
  assert.match(r.stderr, /NETPOLL \d+: deadline fired fd \d+ read/);
  assert.match(r.stderr, /NETPOLL \d+: poller \w+ drained/);
  const quiet = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_DEBUG: '' } });
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /NETPOLL/);
});

