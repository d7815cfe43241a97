// PacketConn: the datagram behaviours Go's net tests check (udpsock_test.go,
// unixsock_test.go, packetconn_test.go), on both poller backends.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Addr, dialPacket, isClosedError, listenMulticastUDP, listenPacket, OpError, PacketInfo, WriteToConnectedError, type PacketConn } from '../../src/net/index.ts';
import { C } from '../../src/sys/constants.ts';
import { M } from '../../src/sys/msg-constants.ts';
import { IS_LINUX } from '../../src/sys/platform.ts';
import { settledWithin, sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { fdsOpenedSince, openFds } from '../helpers/fds.ts';

const te = new TextEncoder();

function assertOpError(e: unknown, code: string, op?: string): true {
  assert.ok(e instanceof OpError, `expected OpError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  if (op) assert.equal(e.op, op);
  return true;
}

async function closeAll(...pcs: PacketConn[]): Promise<void> {
  for (const pc of pcs) if (!pc.closed) await pc.close();
}

function tmpPath(name: string): { path: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'netpoll-dgram-'));
  return { path: join(dir, name), done: () => rmSync(dir, { recursive: true, force: true }) };
}

for (const { backend, skip, make } of backendCases) {
  describe(`PacketConn (${backend})`, { skip: skip ?? false }, () => {
    test('udp: readFrom gives the datagram and its sender; writeTo replies to it; addresses in Go form', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const c = await listenPacket('udp4', '127.0.0.1:0', { netpoll: np });
      try {
        assert.match(String(s.localAddr), /^127\.0\.0\.1:\d+$/);
        assert.equal(s.localAddr.network, 'udp');
        assert.equal(s.remoteAddr, null);
        assert.equal(await c.writeTo(te.encode('ping'), s.localAddr), 4);
        const buf = new Uint8Array(64);
        const r = await s.readFrom(buf);
        assert.equal(r.n, 4);
        assert.equal(r.truncated, false);
        assert.equal(String(r.addr), String(c.localAddr));
        assert.equal(r.addr.network, 'udp');
        await s.writeTo(buf, r.addr, 0, r.n);
        const back = await c.readFrom(buf);
        assert.equal(new TextDecoder().decode(buf.subarray(0, back.n)), 'ping');
        assert.equal(String(back.addr), String(s.localAddr));
      } finally { await closeAll(s, c); np.shutdown(); }
    });

    test('a zero-byte datagram is a datagram: n 0, not end of stream, and the next one still arrives', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const c = await dialPacket('udp', String(s.localAddr), { netpoll: np });
      try {
        assert.equal(await c.write(new Uint8Array(0)), 0);
        await c.write(Uint8Array.of(5));
        const buf = new Uint8Array(8);
        const r = await s.readFrom(buf);
        assert.equal(r.n, 0);
        assert.equal(r.truncated, false);
        assert.equal(String(r.addr), String(c.localAddr));
        assert.equal(await s.read(buf), 1);
        // And a zero-length buffer takes a whole datagram, reporting the cut.
        await c.write(Uint8Array.of(1, 2));
        const z = await s.readFrom(new Uint8Array(0));
        assert.equal(z.n, 0);
        assert.equal(z.truncated, true);
      } finally { await closeAll(s, c); np.shutdown(); }
    });

    test('truncation is visible: a datagram longer than the buffer is cut, flagged, and the rest is gone', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const c = await dialPacket('udp', String(s.localAddr), { netpoll: np });
      try {
        await c.write(te.encode('0123456789'));
        await c.write(te.encode('ab'));
        const buf = new Uint8Array(4);
        const r = await s.readFrom(buf);
        assert.deepEqual([r.n, r.truncated], [4, true]);
        assert.equal(new TextDecoder().decode(buf), '0123');
        const r2 = await s.readFrom(buf);
        assert.deepEqual([r2.n, r2.truncated], [2, false]);
        // readMsg says MSG_TRUNC in its flags too.
        await c.write(te.encode('0123456789'));
        const m = await s.readMsg(buf, null);
        assert.equal(m.n, 4);
        assert.equal(m.truncated, true);
        assert.notEqual(m.flags & M.MSG_TRUNC, 0);
        assert.equal(String(m.addr), String(c.localAddr));
      } finally { await closeAll(s, c); np.shutdown(); }
    });

    test('a connected udp socket reports ECONNREFUSED on the next read after sending to a closed port', async () => {
      const np = make();
      const gone = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const port = gone.localAddr.port;
      await gone.close();
      const c = await dialPacket('udp', `127.0.0.1:${port}`, { netpoll: np });
      try {
        await c.write(Uint8Array.of(1));
        await assert.rejects(c.read(new Uint8Array(8)), (e) => assertOpError(e, 'ECONNREFUSED', 'read'));
        // The error was consumed: the socket still works (another refusal, or a timeout).
        c.setReadDeadline(Date.now() + 30);
        await assert.rejects(c.read(new Uint8Array(8)), (e) => e instanceof OpError && (e.timeout || e.code === 'ECONNREFUSED'));
      } finally { await closeAll(c); np.shutdown(); }
    });

    test('read deadline: a parked readFrom fails with a timeout; a past deadline fails at once; clearing it reads again', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const c = await dialPacket('udp', String(s.localAddr), { netpoll: np });
      try {
        const buf = new Uint8Array(8);
        s.setReadDeadline(Date.now() + 40);
        await assert.rejects(s.readFrom(buf), (e) => assertOpError(e, 'ETIMEDOUT', 'read') && (e as OpError).timeout);
        await c.write(Uint8Array.of(1));
        await sleep(10);
        s.setReadDeadline(Date.now() - 1000);
        await assert.rejects(s.readFrom(buf), (e) => assertOpError(e, 'ETIMEDOUT'));
        s.setReadDeadline(null);
        assert.equal((await s.readFrom(buf)).n, 1);
        assert.throws(() => s.setReadDeadline(Number.NaN), RangeError);
        assert.throws(() => s.setDeadline(-5), RangeError);
      } finally { await closeAll(s, c); np.shutdown(); }
    });

    test('close wakes a parked read with the closed error; use after close fails; a second close throws', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const p = s.readFrom(new Uint8Array(8));
      await sleep(5);
      await s.close();
      await assert.rejects(p, (e) => isClosedError(e));
      await assert.rejects(s.readFrom(new Uint8Array(8)), (e) => isClosedError(e));
      await assert.rejects(s.writeTo(new Uint8Array(1), s.localAddr), (e) => isClosedError(e));
      assert.throws(() => s.close(), (e) => isClosedError(e));
      assert.throws(() => s.setReadDeadline(null), (e) => isClosedError(e));
      np.shutdown();
    });

    test('an AbortSignal cancels a parked read with its reason; the socket reads on', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const c = await dialPacket('udp', String(s.localAddr), { netpoll: np });
      try {
        const ac = new AbortController();
        const p = s.readFrom(new Uint8Array(8), 0, 8, ac.signal);
        await sleep(5);
        const why = new Error('stop');
        ac.abort(why);
        await assert.rejects(p, (e) => e === why);
        await c.write(Uint8Array.of(4));
        assert.equal((await s.readFrom(new Uint8Array(8))).n, 1);
      } finally { await closeAll(s, c); np.shutdown(); }
    });

    test('readFromInto allocates nothing per datagram: it refills the PacketInfo, which writeTo takes back', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const c = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      try {
        const from = new PacketInfo();
        const buf = new Uint8Array(16);
        for (let i = 0; i < 3; i++) {
          await c.writeTo(Uint8Array.of(i, i), s.localAddr);
          assert.equal(await s.readFromInto(buf, from, 4, 8), from);
          assert.deepEqual([from.n, from.truncated, from.port, from.family], [2, false, c.localAddr.port, 'inet4']);
          assert.deepEqual([...buf.subarray(4, 6)], [i, i]);
          assert.equal(from.toString(), String(c.localAddr));
          await s.writeTo(buf, from, 4, from.n);
          assert.equal((await c.readFrom(buf)).n, 2);
        }
      } finally { await closeAll(s, c); np.shutdown(); }
    });

    test('udp6 on [::1] when the host has IPv6', async (t) => {
      const np = make();
      let s: PacketConn;
      try { s = await listenPacket('udp6', '[::1]:0', { netpoll: np }); } catch (e) { np.shutdown(); t.skip(`no IPv6 loopback: ${String(e)}`); return; }
      const c = await dialPacket('udp6', String(s.localAddr), { netpoll: np });
      try {
        assert.match(String(s.localAddr), /^\[::1\]:\d+$/);
        await c.write(Uint8Array.of(6));
        const r = await s.readFrom(new Uint8Array(4));
        assert.equal(String(r.addr), String(c.localAddr));
        // An IPv4 destination on a udp6 socket is refused before any system call.
        await assert.rejects(s.writeTo(Uint8Array.of(1), new Addr('udp', '127.0.0.1', 9)), (e) => e instanceof OpError);
      } finally { await closeAll(s, c); np.shutdown(); }
    });

    test('writeTo on a connected socket is Go\'s ErrWriteToConnected; write on an unconnected udp socket fails', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const c = await dialPacket('udp', String(s.localAddr), { netpoll: np });
      try {
        assert.equal(String(c.remoteAddr), String(s.localAddr));
        await assert.rejects(c.writeTo(Uint8Array.of(1), s.localAddr), (e) => assertOpError(e, 'EISCONN', 'write') && (e as OpError).cause instanceof WriteToConnectedError);
        await assert.rejects(s.write(Uint8Array.of(1)), (e) => e instanceof OpError && /EDESTADDRREQ|ENOTCONN/.test(e.code));
      } finally { await closeAll(s, c); np.shutdown(); }
    });

    test('bad input: unknown networks, wrong-family addresses, buffers out of range, bad options, no descriptor leaks', async () => {
      const np = make();
      const before = openFds();
      await assert.rejects(listenPacket('tcp' as never, '127.0.0.1:0', { netpoll: np }), (e) => assertOpError(e, 'ERR_NETPOLL_UNKNOWN_NETWORK', 'listen'));
      await assert.rejects(dialPacket('udp7' as never, '127.0.0.1:1', { netpoll: np }), (e) => assertOpError(e, 'ERR_NETPOLL_UNKNOWN_NETWORK', 'dial'));
      await assert.rejects(listenPacket('udp4', '[::1]:0', { netpoll: np }), (e) => assertOpError(e, 'ERR_NETPOLL_BAD_ADDRESS'));
      await assert.rejects(listenPacket('udp', '127.0.0.1', { netpoll: np }), (e) => assertOpError(e, 'ERR_NETPOLL_BAD_ADDRESS'));
      await assert.rejects(listenPacket('udp', '127.0.0.1:0', { netpoll: np, readBuffer: -1 }), RangeError);
      await assert.rejects(dialPacket('unixgram', '', { netpoll: np }), (e) => assertOpError(e, 'ERR_NETPOLL_BAD_ADDRESS'));
      await assert.rejects(dialPacket('udp', '127.0.0.1:9', { netpoll: np, localAddress: 'localhost:0' }), (e) => assertOpError(e, 'ERR_NETPOLL_BAD_ADDRESS', 'dial'));
      await assert.rejects(dialPacket('udp', '127.0.0.1:9', { netpoll: np, localAddress: '[::1]:0' }), (e) => assertOpError(e, 'ERR_NETPOLL_BAD_ADDRESS', 'dial'));
      const bound = await dialPacket('udp', '127.0.0.1:9', { netpoll: np, localAddress: '127.0.0.1' });
      assert.equal(bound.localAddr.address, '127.0.0.1');
      await bound.close();
      const s = await listenPacket('udp4', '127.0.0.1:0', { netpoll: np });
      try {
        await assert.rejects(s.writeTo(Uint8Array.of(1), Addr.unix('/tmp/x', 'unixgram')), (e) => assertOpError(e, 'ERR_NETPOLL_BAD_ADDRESS'));
        await assert.rejects(s.writeTo(Uint8Array.of(1), new Addr('udp', '::1', 9)), (e) => assertOpError(e, 'ERR_NETPOLL_BAD_ADDRESS'));
        await assert.rejects(s.writeTo(Uint8Array.of(1), '127.0.0.1:9' as never), TypeError);
        await assert.rejects(s.readFrom(new Uint8Array(4), 3, 2), RangeError);
        await assert.rejects(s.readFrom(new Uint8Array(4), -1), RangeError);
        await assert.rejects(s.readFrom('buf' as never), TypeError);
        await assert.rejects(s.writeTo(new Uint8Array(4), s.localAddr, 0, 5), RangeError);
        await assert.rejects(s.readFromInto(new Uint8Array(4), {} as never), TypeError);
        await assert.rejects(s.readBatch([], []), RangeError);
        assert.throws(() => s.setReadBuffer(0), RangeError);
      } finally { await s.close(); }
      await sleep(5);
      assert.deepEqual(fdsOpenedSince(before), []);
      np.shutdown();
    });

    test('EMSGSIZE is a clear error: a udp datagram over 64 KiB is refused', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      try {
        await assert.rejects(s.writeTo(new Uint8Array(70_000), s.localAddr), (e) => assertOpError(e, 'EMSGSIZE', 'write') && /message too long/i.test((e as Error).message));
      } finally { await closeAll(s); np.shutdown(); }
    });

    test('socket options: SO_BROADCAST on by default for udp (as Go), buffer sizes, reuseAddr/reusePort', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np, readBuffer: 65536, writeBuffer: 65536, reusePort: true, reuseAddr: true });
      try {
        assert.notEqual(s.getsockoptInt(C.SOL_SOCKET, M.SO_BROADCAST), 0);
        s.setBroadcast(false);
        assert.equal(s.getsockoptInt(C.SOL_SOCKET, M.SO_BROADCAST), 0);
        assert.ok(s.getsockoptInt(C.SOL_SOCKET, C.SO_RCVBUF) >= 65536);
        s.setWriteBuffer(32768);
        assert.ok(s.getsockoptInt(C.SOL_SOCKET, C.SO_SNDBUF) >= 32768);
        assert.notEqual(s.getsockoptInt(C.SOL_SOCKET, C.SO_REUSEPORT), 0);
        // reusePort lets a second socket bind the same port.
        const t2 = await listenPacket('udp', String(s.localAddr), { netpoll: np, reusePort: true });
        await t2.close();
        await assert.rejects(listenPacket('udp', String(s.localAddr), { netpoll: np }), (e) => assertOpError(e, 'EADDRINUSE', 'listen'));
      } finally { await closeAll(s); np.shutdown(); }
    });

    test('multicast: joinGroup and leaveGroup set the membership; a unicast group is refused', async () => {
      const np = make();
      const s = await listenPacket('udp4', '0.0.0.0:0', { netpoll: np });
      try {
        try {
          s.joinGroup('239.255.42.99');
        } catch (e) {
          // A host without a multicast-capable route refuses the join itself.
          assert.ok(e instanceof OpError && /ENODEV|EADDRNOTAVAIL/.test(e.code), String(e));
          return;
        }
        s.leaveGroup('239.255.42.99');
        assert.throws(() => s.leaveGroup('239.255.42.99'), (e) => e instanceof OpError && e.code === 'EADDRNOTAVAIL');
        assert.throws(() => s.joinGroup('10.0.0.1'), (e) => e instanceof OpError && e.code === 'ERR_NETPOLL_BAD_ADDRESS');
        assert.throws(() => s.joinGroup('ff02::1'), (e) => e instanceof OpError);
        assert.throws(() => s.joinGroup('239.1.1.1', 'no-such-if0'), (e) => e instanceof OpError && e.code === 'ERR_NETPOLL_BAD_ADDRESS');
      } finally { await closeAll(s); np.shutdown(); }
    });

    test('listenMulticastUDP: a datagram sent to the group arrives at the listener joined on that interface', async (t) => {
      const np = make();
      // The first interface that can do IPv4 multicast and is up (loopback usually cannot).
      const { networkInterfaces } = await import('node:os');
      const ifname = Object.entries(networkInterfaces()).find(([, as]) => as?.some((a) => a.family === 'IPv4' && !a.internal))?.[0];
      if (!ifname) { np.shutdown(); t.skip('no non-loopback IPv4 interface'); return; }
      let pc: PacketConn;
      try {
        pc = await listenMulticastUDP('udp4', '239.255.77.1:0', { netpoll: np, interface: ifname });
      } catch (e) { np.shutdown(); t.skip(`multicast unavailable: ${String(e)}`); return; }
      const sender = await listenPacket('udp4', '0.0.0.0:0', { netpoll: np });
      try {
        // Send out of that interface (IP_MULTICAST_IF takes an ip_mreqn on Linux); multicast loopback is on by default.
        const { ipMreq } = await import('../../src/sys/mreq.ts');
        const { ifNameToIndex } = await import('../../src/sys/sockaddr.ts');
        const { setsockopt } = await import('../../src/sys/socket.ts');
        if (M.HAS_IP_MREQN) {
          const mreqn = ipMreq(new Uint8Array(4), ifNameToIndex(ifname), null);
          assert.equal(setsockopt(sender.fd.sysfd, M.IPPROTO_IP, M.IP_MULTICAST_IF, mreqn, mreqn.byteLength), 0);
        }
        await sender.writeTo(te.encode('to the group'), new Addr('udp', '239.255.77.1', pc.localAddr.port));
        pc.setReadDeadline(Date.now() + 5000);
        const buf = new Uint8Array(64);
        let r;
        try { r = await pc.readFrom(buf); } catch (e) { t.skip(`no multicast delivery on ${ifname}: ${String(e)}`); return; }
        assert.equal(new TextDecoder().decode(buf.subarray(0, r.n)), 'to the group');
        assert.equal(r.addr.port, sender.localAddr.port);
        pc.leaveGroup('239.255.77.1', ifname);
      } finally { await closeAll(pc, sender); np.shutdown(); }
    });

    test('IPv6 multicast: IPV6_JOIN_GROUP with ipv6_mreq on an interface index, then leave', async (t) => {
      const np = make();
      let s: PacketConn;
      try { s = await listenPacket('udp6', '[::]:0', { netpoll: np }); } catch (e) { np.shutdown(); t.skip(`no IPv6: ${String(e)}`); return; }
      try {
        try { s.joinGroup('ff12::4e50', 1); } catch (e) { t.skip(`IPv6 multicast join refused here: ${String(e)}`); return; }
        s.leaveGroup('ff12::4e50', 1);
        assert.throws(() => s.joinGroup('239.1.1.1'), (e) => e instanceof OpError && e.code === 'ERR_NETPOLL_BAD_ADDRESS');
      } finally { await closeAll(s); np.shutdown(); }
    });

    test('unixgram: a zero-length buffer takes a whole datagram; write on an unconnected socket and writeTo on a connected one fail', async () => {
      const np = make();
      const tmp = tmpPath('z.sock');
      const s = await listenPacket('unixgram', tmp.path, { netpoll: np });
      const c = await dialPacket('unixgram', tmp.path, { netpoll: np });
      try {
        await c.write(te.encode('abc'));
        const r = await s.readFrom(new Uint8Array(0));
        assert.deepEqual([r.n, r.truncated], [0, true]);
        await assert.rejects(s.write(Uint8Array.of(1)), (e) => e instanceof OpError && /ENOTCONN|EDESTADDRREQ/.test(e.code));
        await assert.rejects(c.writeTo(Uint8Array.of(1), s.localAddr), (e) => assertOpError(e, 'EISCONN', 'write'));
        await assert.rejects(s.writeTo(Uint8Array.of(1), Addr.udp(Uint8Array.of(127, 0, 0, 1), 9)), (e) => assertOpError(e, 'ERR_NETPOLL_BAD_ADDRESS'));
      } finally { await closeAll(s, c); tmp.done(); np.shutdown(); }
    });

    test('readBatch and writeBatch move many datagrams per call, each with its sender, size and truncation', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const c = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      try {
        const out = [Uint8Array.of(1), new Uint8Array(0), new Uint8Array(40).fill(2), Uint8Array.of(3, 3)];
        assert.equal(await c.writeBatch(out, out.map(() => s.localAddr)), 4);
        const bufs = Array.from({ length: 8 }, () => new Uint8Array(16));
        const infos = bufs.map(() => new PacketInfo());
        let got = 0;
        while (got < 4) got += await s.readBatch(bufs.slice(got), infos.slice(got));
        assert.deepEqual(infos.slice(0, 4).map((i) => [i.n, i.truncated]), [[1, false], [0, false], [16, true], [2, false]]);
        for (const i of infos.slice(0, 4)) assert.equal(i.toString(), String(c.localAddr));
        // Replies to the senders the batch reported.
        assert.equal(await s.writeBatch([Uint8Array.of(9)], [infos[0]!]), 1);
        assert.equal((await c.readFrom(new Uint8Array(4))).n, 1);
        // A datagram the kernel refuses stops the batch: the error says how many went before it.
        await assert.rejects(c.writeBatch([Uint8Array.of(1), new Uint8Array(70_000), Uint8Array.of(3)], [s.localAddr, s.localAddr, s.localAddr]),
          (e) => assertOpError(e, 'EMSGSIZE', 'write') && (e as { messagesWritten?: number }).messagesWritten === 1);
        assert.equal((await s.readFrom(new Uint8Array(4))).n, 1);
        const d = await dialPacket('udp', String(s.localAddr), { netpoll: np });
        await assert.rejects(d.writeBatch([Uint8Array.of(1)], [s.localAddr]), (e) => assertOpError(e, 'EISCONN'));
        assert.equal(await d.writeBatch([Uint8Array.of(1), Uint8Array.of(2)], null), 2);
        await d.close();
      } finally { await closeAll(s, c); np.shutdown(); }
    });

    test('unixgram: a path socket, an abstract one on Linux, unnamed senders, localAddr/remoteAddr', async () => {
      const np = make();
      const tmp = tmpPath('s.sock');
      const s = await listenPacket('unixgram', tmp.path, { netpoll: np });
      const named = await listenPacket('unixgram', tmp.path + '.c', { netpoll: np });
      const anon = await dialPacket('unixgram', tmp.path, { netpoll: np });
      try {
        assert.equal(String(s.localAddr), tmp.path);
        assert.equal(s.localAddr.network, 'unixgram');
        assert.equal(String(anon.remoteAddr), tmp.path);
        await anon.write(te.encode('x'));
        const r = await s.readFrom(new Uint8Array(4));
        assert.equal(r.addr.address, '');
        await named.writeTo(te.encode('yy'), s.localAddr);
        const r2 = await s.readFrom(new Uint8Array(4));
        assert.equal(String(r2.addr), tmp.path + '.c');
        await s.writeTo(te.encode('z'), r2.addr);
        assert.equal((await named.readFrom(new Uint8Array(4))).n, 1);
        // A zero-byte unixgram datagram is one too.
        await anon.write(new Uint8Array(0));
        assert.equal((await s.readFrom(new Uint8Array(4))).n, 0);
        if (IS_LINUX) {
          const name = `@netpoll-test-${process.pid}-${backend}`;
          const a = await listenPacket('unixgram', name, { netpoll: np });
          const b = await dialPacket('unixgram', name, { netpoll: np });
          assert.equal(String(a.localAddr), name);
          await b.write(Uint8Array.of(1));
          assert.equal((await a.readFrom(new Uint8Array(4))).n, 1);
          await closeAll(a, b);
        }
        await assert.rejects(dialPacket('unixgram', tmp.path + '.none', { netpoll: np }), (e) => assertOpError(e, 'ENOENT', 'dial'));
      } finally { await closeAll(s, named, anon); tmp.done(); np.shutdown(); }
    });

    test('unixgram: a write that meets a full receiver parks, retries, and completes once it drains', async () => {
      const np = make();
      const tmp = tmpPath('full.sock');
      const s = await listenPacket('unixgram', tmp.path, { netpoll: np, readBuffer: 4096 });
      const c = await listenPacket('unixgram', '', { netpoll: np });
      try {
        const d = new Uint8Array(1024);
        let sent = 0;
        for (;;) {
          const r = await settledWithin(c.writeTo(d, s.localAddr), 100);
          if (r === 'pending') break;
          if ('error' in r) throw r.error;
          sent++;
          assert.ok(sent < 10_000, 'the receiver never filled');
        }
        // One write is parked now; drain the receiver and it goes through.
        const buf = new Uint8Array(2048);
        for (let i = 0; i < sent + 1; i++) assert.equal((await s.readFrom(buf)).n, 1024);
      } finally { await closeAll(s, c); tmp.done(); np.shutdown(); }
    });

    test('unixgram: a parked write honours close, its write deadline and an abort', async () => {
      const np = make();
      const tmp = tmpPath('dl.sock');
      const s = await listenPacket('unixgram', tmp.path, { netpoll: np, readBuffer: 4096 });
      const c = await dialPacket('unixgram', tmp.path, { netpoll: np });
      try {
        const d = new Uint8Array(1024);
        let parked: Promise<number> | null = null;
        for (let i = 0; i < 10_000 && parked === null; i++) {
          const p = c.write(d);
          if ((await settledWithin(p, 100)) === 'pending') parked = p;
        }
        assert.ok(parked, 'the receiver never filled');
        // close fails the parked write with the closed error.
        await c.close();
        await assert.rejects(parked, (e) => isClosedError(e));
        const c2 = await dialPacket('unixgram', tmp.path, { netpoll: np });
        c2.setWriteDeadline(Date.now() + 60);
        await assert.rejects(c2.write(d), (e) => assertOpError(e, 'ETIMEDOUT', 'write'));
        c2.setWriteDeadline(null);
        const ac = new AbortController();
        const p = c2.write(d, 0, d.length, ac.signal);
        await sleep(20);
        ac.abort(new Error('enough'));
        await assert.rejects(p, /enough/);
        await c2.close();
      } finally { await closeAll(s, c); tmp.done(); np.shutdown(); }
    });
  });
}
