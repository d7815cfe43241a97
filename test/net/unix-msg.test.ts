// readMsg/writeMsg and descriptor passing between netpoll's own ends: unix
// stream Conns and unixgram PacketConns, on both poller backends. What
// arrives is close-on-exec, usable, and never leaks when it does not fit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlMessageError, dialPacket, fileConn, listenPacket, OpError } from '../../src/net/index.ts';
import { cmsgSpace, parseUnixRights, unixRights } from '../../src/sys/cmsg.ts';
import { C } from '../../src/sys/constants.ts';
import { fcntl } from '../../src/sys/libc.ts';
import { sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { fdsOpenedSince, openFds } from '../helpers/fds.ts';
import { connectedPair } from '../helpers/net.ts';

function tmpFile(text: string): { path: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'netpoll-msg-'));
  const path = join(dir, 'f.txt');
  writeFileSync(path, text);
  return { path, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function readAll(fd: number): string {
  const b = Buffer.alloc(256);
  return b.subarray(0, readSync(fd, b, 0, 256, 0)).toString();
}

for (const { backend, skip, make } of backendCases) {
  describe(`readMsg / writeMsg (${backend})`, { skip: skip ?? false }, () => {
    test('a unix stream Conn passes a file descriptor; the receiver reads the file through it, close-on-exec', async () => {
      const np = make();
      const dir = mkdtempSync(join(tmpdir(), 'netpoll-msg-'));
      const p = await connectedPair(np, 'unix', join(dir, 's.sock'));
      const f = tmpFile('through the socket');
      const fd = openSync(f.path, 'r');
      try {
        assert.equal(await p.client.writeMsg(new TextEncoder().encode('hdr'), unixRights(fd, fd)), 3);
        const buf = new Uint8Array(16), oob = new Uint8Array(cmsgSpace(8));
        const r = await p.server.readMsg(buf, oob);
        assert.equal(r.n, 3);
        assert.equal(r.addr, null);
        assert.equal(r.controlTruncated, false);
        const got = parseUnixRights(oob, r.oobn);
        assert.equal(got.length, 2);
        for (const g of got) {
          assert.equal(fcntl(g, C.F_GETFD, 0) & C.FD_CLOEXEC, C.FD_CLOEXEC);
          assert.equal(fstatSync(g).ino, fstatSync(fd).ino);
          assert.equal(readAll(g), 'through the socket');
          closeSync(g);
        }
      } finally { closeSync(fd); f.done(); await p.closeAll(); rmSync(dir, { recursive: true, force: true }); np.shutdown(); }
    });

    test('control data with no payload travels with one dummy byte on a stream (Go\'s SendmsgN); n is 0 on both ends', async () => {
      const np = make();
      const dir = mkdtempSync(join(tmpdir(), 'netpoll-msg-'));
      const p = await connectedPair(np, 'unix', join(dir, 's.sock'));
      try {
        assert.equal(await p.client.writeMsg(new Uint8Array(0), unixRights(0)), 0);
        const oob = new Uint8Array(cmsgSpace(4));
        const r = await p.server.readMsg(new Uint8Array(0), oob);
        assert.equal(r.n, 0);
        const [g] = parseUnixRights(oob, r.oobn);
        assert.ok(g !== undefined && g > 2);
        closeSync(g);
        // Ordinary data follows unharmed.
        await p.client.write(Uint8Array.of(7));
        const b = new Uint8Array(4);
        assert.equal(await p.server.read(b), 1);
        assert.equal(b[0], 7);
      } finally { await p.closeAll(); rmSync(dir, { recursive: true, force: true }); np.shutdown(); }
    });

    test('descriptors that do not fit are reported (controlTruncated) and closed by the kernel; none leak', async () => {
      const np = make();
      const dir = mkdtempSync(join(tmpdir(), 'netpoll-msg-'));
      const p = await connectedPair(np, 'unix', join(dir, 's.sock'));
      try {
        const before = openFds();
        // No room at all: every passed descriptor is closed on arrival.
        await p.client.writeMsg(Uint8Array.of(1), unixRights(0, 1, 2));
        const r = await p.server.readMsg(new Uint8Array(4), null);
        assert.equal(r.n, 1);
        assert.equal(r.controlTruncated, true);
        // Room for fewer than three (Linux fits two in CMSG_SPACE(4)): those that fit are the caller's, the rest are gone.
        await p.client.writeMsg(Uint8Array.of(2), unixRights(0, 1, 2));
        const oob = new Uint8Array(cmsgSpace(4));
        const r2 = await p.server.readMsg(new Uint8Array(4), oob);
        assert.equal(r2.controlTruncated, true);
        const fit = parseUnixRights(oob, r2.oobn);
        assert.ok(fit.length >= 1 && fit.length < 3, `fit ${fit.length}`);
        for (const g of fit) closeSync(g);
        // A plain read of a message that carried descriptors drops them too.
        await p.client.writeMsg(Uint8Array.of(3), unixRights(0));
        assert.equal(await p.server.read(new Uint8Array(4)), 1);
        await sleep(5);
        assert.deepEqual(fdsOpenedSince(before), []);
      } finally { await p.closeAll(); rmSync(dir, { recursive: true, force: true }); np.shutdown(); }
    });

    test('bad input: oob on a TCP Conn, SCM_RIGHTS over udp, a closed descriptor to pass, a malformed oob', async () => {
      const np = make();
      const tcp = await connectedPair(np, 'tcp');
      const u = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const dir = mkdtempSync(join(tmpdir(), 'netpoll-msg-'));
      const p = await connectedPair(np, 'unix', join(dir, 's.sock'));
      try {
        await assert.rejects(tcp.client.writeMsg(Uint8Array.of(1), unixRights(0)), (e) => e instanceof OpError && e.cause instanceof ControlMessageError);
        await assert.rejects(tcp.client.readMsg(new Uint8Array(1), new Uint8Array(64)), (e) => e instanceof OpError && e.code === 'ERR_NETPOLL_BAD_CONTROL_MESSAGE');
        await assert.rejects(u.writeMsg(Uint8Array.of(1), unixRights(0), u.localAddr), (e) => e instanceof OpError && e.code === 'ERR_NETPOLL_BAD_CONTROL_MESSAGE');
        const f = tmpFile('x');
        const fd = openSync(f.path, 'r');
        closeSync(fd);
        f.done();
        await assert.rejects(p.client.writeMsg(Uint8Array.of(1), unixRights(fd)), (e) => e instanceof OpError && e.code === 'EBADF' && e.op === 'write');
        const bad = unixRights(0);
        bad[0] = 255;
        await assert.rejects(p.client.writeMsg(Uint8Array.of(1), bad), (e) => e instanceof OpError && e.code === 'EINVAL');
        await assert.rejects(p.client.writeMsg('x' as never, null), TypeError);
        assert.throws(() => fileConn(-1), RangeError);
        assert.throws(() => fileConn(u.fd.sysfd), (e) => e instanceof OpError, 'a datagram socket is not a stream Conn');
        // Nothing was sent by the refused writes.
        await p.client.write(Uint8Array.of(9));
        const b = new Uint8Array(4);
        assert.equal(await p.server.read(b), 1);
        assert.equal(b[0], 9);
      } finally { await tcp.closeAll(); await p.closeAll(); await u.close(); rmSync(dir, { recursive: true, force: true }); np.shutdown(); }
    });

    test('unixgram PacketConn: writeMsg passes a descriptor to an address; readMsg gets it with the sender', async () => {
      const np = make();
      const dir = mkdtempSync(join(tmpdir(), 'netpoll-msg-'));
      const a = await listenPacket('unixgram', join(dir, 'a'), { netpoll: np });
      const b = await listenPacket('unixgram', join(dir, 'b'), { netpoll: np });
      const c = await dialPacket('unixgram', join(dir, 'a'), { netpoll: np, localAddress: join(dir, 'c') });
      const f = tmpFile('dgram fd');
      const fd = openSync(f.path, 'r');
      try {
        await b.writeMsg(Uint8Array.of(1, 2), unixRights(fd), a.localAddr);
        await c.writeMsg(Uint8Array.of(3), unixRights(fd));
        const oob = new Uint8Array(cmsgSpace(4));
        const r = await a.readMsg(new Uint8Array(8), oob);
        assert.equal(r.n, 2);
        assert.equal(String(r.addr), join(dir, 'b'));
        const [g] = parseUnixRights(oob, r.oobn);
        assert.equal(readAll(g!), 'dgram fd');
        closeSync(g!);
        const r2 = await a.readMsg(new Uint8Array(8), oob);
        assert.equal(String(r2.addr), join(dir, 'c'));
        for (const h of parseUnixRights(oob, r2.oobn)) closeSync(h);
        await assert.rejects(c.writeMsg(Uint8Array.of(1), null, a.localAddr), (e) => e instanceof OpError && e.code === 'EISCONN');
      } finally { closeSync(fd); f.done(); for (const x of [a, b, c]) await x.close(); rmSync(dir, { recursive: true, force: true }); np.shutdown(); }
    });
  });
}
