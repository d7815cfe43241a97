// Raw access and adoption on real sockets: syscallConn (a recvmsg loop),
// the control hook on listen and dial, Conn.fromFd / Listener.fromFd with
// the network inferred from the kernel, detach, and the wrong kinds refused.
import assert from 'node:assert/strict';
import koffi from 'koffi';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Conn, Listener, OpError, PacketConn, dial, dialPacket, listen, listenPacket } from '../../src/net/index.ts';
import { Netpoll } from '../../src/netpoll/index.ts';
import { C } from '../../src/sys/constants.ts';
import { nonblockingPipe } from '../../src/sys/descriptors.ts';
import { close as closeRaw, fcntl } from '../../src/sys/libc.ts';
import { dupCloexec } from '../../src/sys/files.ts';
import * as sock from '../../src/sys/socket.ts';
import { settledWithin } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { fdsOpenedSince, openFds, socketPair } from '../helpers/fds.ts';
import { connectedPair } from '../helpers/net.ts';

// recvmsg(2) bound here, as a user of syscallConn would bind it: no addon.
const libc = koffi.load(null as unknown as string);
const iovec = koffi.struct('adopt_test_iovec', { base: 'void *', len: 'size_t' });
const msghdr = koffi.struct('adopt_test_msghdr', {
  name: 'void *', namelen: 'uint32_t', iov: koffi.pointer(iovec), iovlen: 'size_t', control: 'void *', controllen: 'size_t', flags: 'int',
});
const recvmsgC = libc.func('intptr_t recvmsg(int fd, _Inout_ adopt_test_msghdr *msg, int flags)') as (fd: number, msg: object, flags: number) => number;
function recvmsg(fd: number, buf: Uint8Array, flags: number): { n: number; msgFlags: number } {
  const msg = { name: null, namelen: 0, iov: [{ base: buf, len: buf.length }], iovlen: 1, control: null, controllen: 0, flags: 0 };
  const n = recvmsgC(fd, msg, flags);
  return { n: n < 0 ? -koffi.errno() : n, msgFlags: msg.flags };
}

const fdIsOpen = (fd: number): boolean => fcntl(fd, C.F_GETFD, 0) >= 0;

for (const { backend, skip, make } of backendCases) {
  describe(`adopt and raw access (${backend})`, { skip: skip ?? false }, () => {
    let np: Netpoll;
    let fdsBefore: Set<number>;
    const cleanup: (() => Promise<void> | void)[] = [];
    beforeEach(() => { np = make(); fdsBefore = openFds(); });
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c();
      np.shutdown();
      assert.deepEqual(fdsOpenedSince(fdsBefore), [], 'no descriptor leaks');
    });

    test('a RawConn read loop runs recvmsg under the poller, parking between messages', async () => {
      const p = await connectedPair(np);
      cleanup.push(() => p.closeAll());
      const rc = p.server.syscallConn();
      const buf = new Uint8Array(64);
      let got = '';
      const loop = (async () => {
        while (!got.endsWith('three.')) {
          let r = { n: 0, msgFlags: 0 };
          let calls = 0;
          await rc.read((fd) => { calls++; r = recvmsg(fd, buf, 0); return r.n !== -C.EAGAIN; });
          assert.ok(r.n > 0, `recvmsg: ${r.n}`);
          assert.ok(calls >= 1);
          got += new TextDecoder().decode(buf.subarray(0, r.n));
        }
      })();
      for (const part of ['one, ', 'two, ', 'three.']) {
        assert.equal(await settledWithin(loop, 10), 'pending', 'the loop parks until the next message');
        await p.client.write(new TextEncoder().encode(part));
      }
      await loop;
      assert.equal(got, 'one, two, three.');
      // A read deadline ends a raw read that waits, as it ends a read.
      p.server.setReadDeadline(Date.now() + 20);
      await assert.rejects(rc.read((fd) => recvmsg(fd, buf, 0).n !== -C.EAGAIN), (e: unknown) =>
        e instanceof OpError && e.op === 'raw-read' && e.timeout);
      // control: any getsockopt on the descriptor.
      assert.equal(rc.control((fd) => { const o = new Int32Array(1); sock.getsockoptInt(fd, C.SOL_SOCKET, C.SO_TYPE, o); return o[0]; }), C.SOCK_STREAM);
    });

    test('control runs after socket() and before bind/connect, with Go\'s network names', async () => {
      const seen: string[] = [];
      const ln = await listen('tcp', '127.0.0.1:0', {
        netpoll: np,
        control: (network, address, fd) => {
          const sa = new Uint8Array(128);
          const len = Int32Array.of(128);
          assert.equal(sock.getsockname(fd, sa, len), 0);
          assert.equal((sa[2]! << 8) | sa[3]!, 0, 'not bound yet');
          assert.equal(sock.setsockoptInt(fd, C.SOL_SOCKET, C.SO_RCVBUF, 65536), 0);
          seen.push(`listen ${network} ${address}`);
        },
      });
      cleanup.push(() => ln.close());
      const c = await dial('tcp', ln.addr.toString(), {
        netpoll: np,
        control: (network, address, fd) => {
          const sa = new Uint8Array(128);
          const len = Int32Array.of(128);
          assert.equal(sock.getpeername(fd, sa, len), -C.ENOTCONN, 'not connected yet');
          seen.push(`dial ${network} ${address}`);
        },
      });
      cleanup.push(() => c.close());
      assert.deepEqual(seen, ['listen tcp4 127.0.0.1:0', `dial tcp4 ${ln.addr.toString()}`]);
      // A throw fails the call with an OpError, and the socket is closed.
      const boom = new Error('refused by control');
      await assert.rejects(listen('tcp', '127.0.0.1:0', { netpoll: np, control: () => { throw boom; } }), (e: unknown) =>
        e instanceof OpError && e.op === 'listen' && e.cause === boom);
      await assert.rejects(dial('tcp', ln.addr.toString(), { netpoll: np, control: () => { throw boom; } }), (e: unknown) =>
        e instanceof OpError && e.op === 'dial' && e.cause === boom);
      await assert.rejects(listen('tcp', '127.0.0.1:0', { netpoll: np, control: 5 as never }), TypeError);
    });

    test('Conn.fromFd infers tcp and both addresses; a detached connection is served by its adopter', async () => {
      const p = await connectedPair(np);
      cleanup.push(() => p.closeAll());
      const remote = p.server.remoteAddr.toString(), local = p.server.localAddr.toString();
      const fd = await p.server.detach();
      assert.equal(p.server.closed, true);
      const conn = Conn.fromFd(fd, { netpoll: np });
      cleanup.push(() => conn.close());
      assert.equal(conn.network, 'tcp');
      assert.equal(conn.remoteAddr.toString(), remote);
      assert.equal(conn.localAddr.toString(), local);
      await p.client.write(new TextEncoder().encode('ping'));
      const buf = new Uint8Array(8);
      assert.equal(await conn.read(buf), 4);
      await conn.write(new TextEncoder().encode('pong'));
      assert.equal(await p.client.read(buf), 4);
      assert.equal(new TextDecoder().decode(buf.subarray(0, 4)), 'pong');
      await assert.rejects(p.server.detach(), (e: unknown) => (e as OpError).code === 'ERR_NETPOLL_CLOSED');
    });

    test('Conn.fromFd on a Unix socket pair; dup: true leaves the caller its descriptor', async () => {
      const [a, b] = socketPair();
      const ca = Conn.fromFd(a, { netpoll: np });
      const cb = Conn.fromFd(b, { netpoll: np, dup: true });
      cleanup.push(async () => { await ca.close(); if (!cb.closed) await cb.close(); closeRaw(b); });
      assert.equal(ca.network, 'unix');
      await ca.write(new TextEncoder().encode('x'));
      assert.equal(await cb.read(new Uint8Array(2)), 1);
      await cb.close();
      assert.ok(fdIsOpen(b), 'the caller still holds its descriptor');
      assert.ok(fdIsOpen(a), 'the adopted one is the Conn\'s until close');
    });

    test('Listener.fromFd adopts a detached listener; its accepts keep working', async () => {
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const addr = ln.addr.toString();
      const rc = ln.syscallConn();
      assert.equal(rc.control((fd) => { const o = new Int32Array(1); sock.getsockoptInt(fd, C.SOL_SOCKET, C.SO_ACCEPTCONN, o); return o[0]; }), 1);
      const fd = await ln.detach();
      const ln2 = Listener.fromFd(fd, { netpoll: np });
      cleanup.push(() => ln2.close());
      assert.equal(ln2.network, 'tcp');
      assert.equal(ln2.addr.toString(), addr);
      const [c, s] = await Promise.all([dial('tcp', addr, { netpoll: np }), ln2.accept()]);
      cleanup.push(async () => { await c.close(); await s.close(); });
      assert.equal(s.localAddr.toString(), addr);
    });

    test('PacketConn.fromFd adopts a bound UDP socket; control runs on listenPacket and dialPacket; syscallConn on a packet conn', async () => {
      const seen: string[] = [];
      const pc = await listenPacket('udp', '127.0.0.1:0', { netpoll: np, control: (n, a) => { seen.push(`${n} ${a}`); } });
      const fd = await (async () => { const f = pc.syscallConn().control(dupCloexec); await pc.close(); return f; })();
      const adopted = PacketConn.fromFd(fd, { netpoll: np });
      cleanup.push(() => adopted.close());
      assert.equal(adopted.network, 'udp');
      assert.equal(adopted.remoteAddr, null, 'not connected');
      const peer = await dialPacket('udp', adopted.localAddr.toString(), { netpoll: np, control: (n, a) => { seen.push(`${n} ${a}`); } });
      cleanup.push(() => peer.close());
      assert.deepEqual(seen, ['udp4 127.0.0.1:0', `udp4 ${adopted.localAddr.toString()}`]);
      await peer.write(new TextEncoder().encode('dgram'));
      const buf = new Uint8Array(16);
      let r = { n: 0, msgFlags: 0 };
      await adopted.syscallConn().read((sfd) => (r = recvmsg(sfd, buf, 0)).n !== -C.EAGAIN);
      assert.equal(new TextDecoder().decode(buf.subarray(0, r.n)), 'dgram');
      const connected = PacketConn.fromFd(peer.syscallConn().control(dupCloexec), { netpoll: np });
      cleanup.push(() => connected.close());
      assert.equal(connected.remoteAddr?.toString(), adopted.localAddr.toString(), 'a connected socket\'s peer is inferred');
      const [a, b] = socketPair();
      cleanup.push(() => { closeRaw(a); closeRaw(b); });
      assert.throws(() => PacketConn.fromFd(a, { netpoll: np }), (e: unknown) => (e as OpError).code === 'ERR_NETPOLL_SOCKET_KIND');
    });

    test('bad input: a pipe, a connected socket, a listening socket, a datagram socket, a closed descriptor', async () => {
      const [rd, wr] = nonblockingPipe();
      cleanup.push(() => { closeRaw(rd); closeRaw(wr); });
      assert.throws(() => Listener.fromFd(rd, { netpoll: np }), (e: unknown) =>
        e instanceof OpError && e.op === 'file' && e.code === 'ENOTSOCK' && /file file\+net: getsockopt: socket operation on non-socket/.test(e.message));
      assert.ok(fdIsOpen(rd), 'a refused descriptor stays the caller\'s, open');
      const p = await connectedPair(np);
      cleanup.push(() => p.closeAll());
      assert.throws(() => Listener.fromFd(p.client.fd.sysfd, { netpoll: np }), (e: unknown) => (e as OpError).code === 'ERR_NETPOLL_SOCKET_KIND');
      assert.throws(() => Conn.fromFd(p.ln.fd.sysfd, { netpoll: np }), (e: unknown) => (e as OpError).code === 'ERR_NETPOLL_SOCKET_KIND');
      const udp = sock.socket(C.AF_INET, C.SOCK_DGRAM);
      cleanup.push(() => { closeRaw(udp); });
      assert.throws(() => Conn.fromFd(udp, { netpoll: np }), (e: unknown) => (e as OpError).code === 'ERR_NETPOLL_SOCKET_KIND');
      assert.throws(() => Conn.fromFd(1_000_000, { netpoll: np }), (e: unknown) => (e as OpError).code === 'EBADF');
      assert.throws(() => Conn.fromFd(-3), RangeError);
    });
  });
}
