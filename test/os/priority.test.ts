// Priority events: TCP urgent data (MSG_OOB raises EPOLLPRI) on loopback,
// and /proc/self/mounts after a mount in a private mount namespace where the
// machine allows one. Both poller backends.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { dial, listen, type Conn } from '../../src/net/index.ts';
import { Netpoll } from '../../src/netpoll/index.ts';
import { File, openFile, PathError } from '../../src/os/index.ts';
import { C } from '../../src/sys/constants.ts';
import { dupCloexec } from '../../src/sys/files.ts';
import { recv, send } from '../../src/sys/socket.ts';
import { backends } from '../helpers/backends.ts';
import { fdsOpenedSince, openFds } from '../helpers/fds.ts';

const settled = async <T>(p: Promise<T>, ms: number): Promise<'pending' | 'settled'> =>
  Promise.race([p.then(() => 'settled' as const, () => 'settled' as const), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

function canUnshareMounts(): string | null {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `unshare is not installed (${r.error.message})`;
  return r.status === 0 ? null : `unshare -m is not permitted here: ${r.stderr.trim()}`;
}

for (const backend of backends) {
  describe(`priority events (${backend})`, () => {
    let np: Netpoll;
    let fdsBefore: Set<number>;
    const closers: (() => Promise<void>)[] = [];

    beforeEach(() => { np = new Netpoll({ backend }); fdsBefore = openFds(); });
    afterEach(async () => {
      for (const c of closers.splice(0)) await c();
      np.shutdown();
      assert.deepEqual(fdsOpenedSince(fdsBefore), [], 'no descriptor leaks');
    });

    async function tcpPair(): Promise<[Conn, Conn]> {
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const [client, server] = await Promise.all([dial('tcp', ln.addr.toString(), { netpoll: np }), ln.accept()]);
      await ln.close();
      closers.push(async () => { await client.close(); await server.close(); });
      return [client, server];
    }

    test('TCP urgent data wakes waitPriority; plain data does not; recv(MSG_OOB) reads the byte', async () => {
      const [client, server] = await tcpPair();
      const f = File.fromFd(dupCloexec(server.fd.sysfd), { name: 'server socket', priority: true, netpoll: np });
      closers.push(() => f.close());
      assert.equal(f.kind, 'socket');
      const wait = f.waitPriority();
      await client.write(new TextEncoder().encode('plain'));
      assert.equal(await settled(wait, 30), 'pending', 'in-band data is no priority event');
      const oob = new Uint8Array([0x21]);
      client.fd.rawControl((fd) => assert.equal(send(fd, oob, 1, C.MSG_OOB), 1));
      await wait;
      const got = new Uint8Array(1);
      let n = 0;
      await f.syscallConn().read((fd) => (n = recv(fd, got, 1, C.MSG_OOB)) !== -C.EAGAIN);
      assert.equal(n, 1);
      assert.equal(got[0], 0x21);
      // The in-band bytes are still there for an ordinary read.
      const buf = new Uint8Array(16);
      assert.equal(new TextDecoder().decode(buf.subarray(0, (await f.read(buf))!)), 'plain');
    });

    test('urgent data sent before the wait is not lost; close fails a parked wait with the closed error', async () => {
      const [client, server] = await tcpPair();
      const f = File.fromFd(dupCloexec(server.fd.sysfd), { priority: true, netpoll: np });
      client.fd.rawControl((fd) => assert.equal(send(fd, new Uint8Array([1]), 1, C.MSG_OOB), 1));
      await f.waitPriority();
      const parked = f.waitPriority();
      assert.equal(await settled(parked, 20), 'pending');
      await f.close();
      await assert.rejects(parked, (e: unknown) => e instanceof PathError && e.code === 'ERR_NETPOLL_CLOSED');
    });

    test('an abort signal ends a priority wait; a second waiter is refused', async () => {
      const [, server] = await tcpPair();
      const f = File.fromFd(dupCloexec(server.fd.sysfd), { priority: true, netpoll: np });
      closers.push(() => f.close());
      const ac = new AbortController();
      const p = f.waitPriority(ac.signal);
      await assert.rejects(f.waitPriority(), /already waits/);
      ac.abort(new Error('enough'));
      await assert.rejects(p, /enough/);
    });

    test('a regular file on a disk filesystem has no priority events: a clear error, nothing leaked', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'netpoll-prio-'));
      try {
        await assert.rejects(openFile(join(dir, 'x'), 'w', 0o666, { priority: true, netpoll: np }), (e: unknown) =>
          e instanceof PathError && e.op === 'waitPriority' && e.code === 'EPERM');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    const skip = canUnshareMounts();
    test('/proc/self/mounts raises a priority event after a mount in a private namespace; pread(buf, 0) re-reads it', { skip: skip ?? false }, () => {
      const target = mkdtempSync(join(tmpdir(), 'netpoll-mnt-'));
      try {
        const r = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx',
          join(import.meta.dirname, '..', 'fixtures', 'mounts-priority.ts'), backend, target], { encoding: 'utf8', timeout: 30_000 });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, 'mount seen\n');
      } finally {
        rmSync(target, { recursive: true, force: true });
      }
    });
  });
}
