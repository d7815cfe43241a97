// File on real descriptors: a FIFO, regular files, directories, pipes
// adopted with and without permission to change their mode. Every behaviour
// runs on both poller backends.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { Netpoll } from '../../src/netpoll/index.ts';
import { File, openFile, PathError } from '../../src/os/index.ts';
import { C } from '../../src/sys/constants.ts';
import { dupCloexec, getfl } from '../../src/sys/files.ts';
import { close as closeRaw, pipe2 } from '../../src/sys/libc.ts';
import { backends } from '../helpers/backends.ts';
import { fdsOpenedSince, openFds, writeStr } from '../helpers/fds.ts';

/** A pipe in blocking mode, as a parent process hands one over. */
function blockingPipe(): [number, number] {
  const fds = new Int32Array(2);
  assert.ok(pipe2(fds, C.O_CLOEXEC) >= 0);
  return [fds[0]!, fds[1]!];
}

const settled = async <T>(p: Promise<T>, ms: number): Promise<'pending' | 'settled'> =>
  Promise.race([p.then(() => 'settled' as const, () => 'settled' as const), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

let dir = '';
before(() => { dir = mkdtempSync(join(tmpdir(), 'netpoll-os-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

for (const backend of backends) {
  describe(`File (${backend})`, () => {
    let np: Netpoll;
    let files: File[];
    let fdsBefore: Set<number>;
    const keep = (f: File): File => { files.push(f); return f; };
    const open = async (path: string, flags: string): Promise<File> => keep(await openFile(path, flags, 0o666, { netpoll: np }));

    beforeEach(() => { np = new Netpoll({ backend }); files = []; fdsBefore = openFds(); });
    afterEach(async () => {
      for (const f of files) if (!f.closed) await f.close();
      np.shutdown();
      assert.deepEqual(fdsOpenedSince(fdsBefore), [], 'no descriptor leaks');
    });

    test('a FIFO goes on the poller: a read deadline expires with a timeout, then data and end of file arrive', async () => {
      const path = join(dir, `fifo-${backend}`);
      execFileSync('mkfifo', [path]);
      // Each open waits (on the thread pool) for the other end, as open(2) does.
      const [r, w] = await Promise.all([open(path, 'r'), open(path, 'w')]);
      assert.equal(r.kind, 'fifo');
      assert.equal(r.pollable, true);
      assert.ok((getfl(r.fd) & C.O_NONBLOCK) !== 0, 'made non-blocking');
      r.setReadDeadline(Date.now() + 50);
      await assert.rejects(r.read(new Uint8Array(16)), (e: unknown) =>
        e instanceof PathError && e.code === 'ETIMEDOUT' && e.timeout && e.op === 'read' && e.path === path
        && e.message === `read ${path}: i/o timeout`);
      r.setReadDeadline(null);
      const parked = r.readChunk();
      assert.equal(await settled(parked, 20), 'pending');
      await w.write(new TextEncoder().encode('through the fifo'));
      assert.equal(new TextDecoder().decode((await parked)!), 'through the fifo');
      await w.close();
      assert.equal(await r.read(new Uint8Array(4)), null, 'the last writer closed: end of file');
    });

    test('an abort signal fails a parked FIFO read with its reason', async () => {
      const path = join(dir, `fifo-abort-${backend}`);
      execFileSync('mkfifo', [path]);
      const [r] = await Promise.all([open(path, 'r'), open(path, 'w')]);
      const ac = new AbortController();
      const p = r.read(new Uint8Array(8), 0, 8, ac.signal);
      const reason = new Error('stop');
      ac.abort(reason);
      await assert.rejects(p, (e: unknown) => e === reason);
    });

    test('a regular file reads and writes through the thread pool: pread/pwrite at offsets, no deadlines', async () => {
      const path = join(dir, `plain-${backend}`);
      const f = await open(path, 'w+');
      assert.equal(f.kind, 'file');
      assert.equal(f.pollable, false);
      assert.equal(await f.write(new TextEncoder().encode('hello, world')), 12);
      assert.equal(await f.pwrite(new TextEncoder().encode('HELLO'), 0), 5);
      const buf = new Uint8Array(5);
      assert.equal(await f.pread(buf, 7), 5);
      assert.equal(new TextDecoder().decode(buf), 'world');
      assert.equal(await f.pread(buf, 100), 0, 'past the end: 0 bytes');
      assert.throws(() => f.setReadDeadline(Date.now() + 10), (e: unknown) =>
        e instanceof PathError && e.code === 'ERR_NETPOLL_NO_DEADLINE' && e.message === `set ${path}: file type does not support deadline`);
      await f.close();
      assert.equal(readFileSync(path, 'utf8'), 'HELLO, world');
      const r = await open(path, 'r');
      let text = '';
      for (let c; (c = await r.readChunk(4)) !== null;) text += new TextDecoder().decode(c);
      assert.equal(text, 'HELLO, world');
    });

    test('a character device the kernel will not poll (/dev/null) reads and writes through the pool', async () => {
      const f = await open('/dev/null', 'r+');
      assert.equal(f.kind, 'char');
      assert.equal(f.pollable, false, 'epoll refuses it (EPERM): the thread pool instead of a blocking read on the loop');
      assert.equal(await f.write(new Uint8Array(1000)), 1000);
      assert.equal(await f.read(new Uint8Array(16)), null);
    });

    test('a file streams through web and Node streams', async () => {
      const path = join(dir, `stream-${backend}`);
      writeFileSync(path, 'x'.repeat(100_000));
      const f = await open(path, 'r');
      let n = 0;
      for await (const chunk of f.readable) n += chunk.byteLength;
      assert.equal(n, 100_000);
      const g = await open(path, 'r');
      let m = 0;
      await pipeline(g.toNodeStream(), new Writable({ write(c: Buffer, _e, cb) { m += c.length; cb(); } }));
      assert.equal(m, 100_000);
    });

    test('a blocking pipe adopted without leave stays blocking and reads through the pool', async () => {
      const [rd, wr] = blockingPipe();
      const r = keep(File.fromFd(rd, { name: 'inherited', netpoll: np }));
      const w = keep(File.fromFd(wr, { netpoll: np }));
      assert.equal(r.kind, 'fifo');
      assert.equal(r.pollable, false);
      assert.equal(getfl(rd) & C.O_NONBLOCK, 0, 'mode untouched');
      assert.throws(() => r.setReadDeadline(Date.now() + 10), (e: unknown) => (e as PathError).code === 'ERR_NETPOLL_NO_DEADLINE');
      const p = r.readChunk();
      await w.write(new TextEncoder().encode('pooled'));
      assert.equal(new TextDecoder().decode((await p)!), 'pooled');
      await w.close();
      assert.equal(await r.readChunk(), null);
    });

    test('nonblock: true puts an adopted blocking pipe on the poller and restores its mode on close', async () => {
      const [rd, wr] = blockingPipe();
      // A second descriptor for the same open pipe shows the shared mode after the File let go.
      const twin = dupCloexec(rd);
      const f = keep(File.fromFd(rd, { netpoll: np, nonblock: true }));
      assert.equal(f.pollable, true);
      assert.ok((getfl(twin) & C.O_NONBLOCK) !== 0, 'switched to non-blocking');
      f.setReadDeadline(Date.now() + 30);
      await assert.rejects(f.read(new Uint8Array(4)), (e: unknown) => (e as PathError).timeout === true);
      f.setReadDeadline(null);
      writeStr(wr, 'ok');
      assert.equal(await f.read(new Uint8Array(4)), 2);
      await f.close();
      assert.equal(getfl(twin) & C.O_NONBLOCK, 0, 'switched back on close');
      closeRaw(twin);
      closeRaw(wr);
    });

    test('bad input: a missing path, a directory, pread on a pipe, a bad descriptor, use after close', async () => {
      await assert.rejects(openFile(join(dir, 'nope', 'x'), 'r', 0o666, { netpoll: np }), (e: unknown) =>
        e instanceof PathError && e.code === 'ENOENT' && e.op === 'open' && /no such file or directory/.test(e.message));
      const d = await open(dir, 'r');
      assert.equal(d.kind, 'directory');
      await assert.rejects(d.read(new Uint8Array(8)), (e: unknown) => e instanceof PathError && e.code === 'EISDIR' && e.path === dir);
      await assert.rejects(openFile(dir, 'w', 0o666, { netpoll: np }), (e: unknown) => (e as PathError).code === 'EISDIR');
      const [rd, wr] = blockingPipe();
      const r = keep(File.fromFd(rd, { netpoll: np, nonblock: true }));
      closeRaw(wr);
      await assert.rejects(r.pread(new Uint8Array(4), 0), (e: unknown) => e instanceof PathError && e.code === 'ESPIPE' && e.op === 'pread');
      await assert.rejects(r.pread(new Uint8Array(4), -1), RangeError);
      await assert.rejects(r.read(new Uint8Array(4), 2, 8), RangeError);
      await assert.rejects(r.waitPriority(), (e: unknown) => (e as PathError).code === 'ERR_NETPOLL_NO_PRIORITY');
      assert.throws(() => File.fromFd(-1), RangeError);
      assert.throws(() => File.fromFd(1_000_000, { netpoll: np }), (e: unknown) => e instanceof PathError && e.code === 'EBADF');
      await r.close();
      await assert.rejects(r.read(new Uint8Array(4)), (e: unknown) => (e as PathError).code === 'ERR_NETPOLL_CLOSED');
      await assert.rejects(r.close(), (e: unknown) => (e as PathError).message === 'close fd ' + String(rd) + ': file already closed');
      await assert.rejects(openFile('', 'r'), TypeError);
    });
  });
}
