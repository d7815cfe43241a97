// Linux's record devices and a pseudo-terminal driving a real shell, on both
// poller backends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Netpoll } from '../../src/netpoll/index.ts';
import {
  addToCounter, addWatch, blockSignals, openEventFd, openInotify, openPty, openSignalFd, openTimerFd,
  parseInotifyEvents, parseSignalInfo, readCounter, setTimer, type File, PathError,
} from '../../src/os/index.ts';
import { IN_CLOSE_WRITE, IN_CREATE } from '../../src/sys/constants.ts';
import { raiseSignal } from '../../src/sys/linux-fds.ts';
import { backends } from '../helpers/backends.ts';
import { fdsOpenedSince, openFds } from '../helpers/fds.ts';

const settled = async <T>(p: Promise<T>, ms: number): Promise<'pending' | 'settled'> =>
  Promise.race([p.then(() => 'settled' as const, () => 'settled' as const), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

const SIGURG = 23;

for (const backend of backends) {
  describe(`record devices and ptys (${backend})`, () => {
    let np: Netpoll;
    let files: File[];
    let fdsBefore: Set<number>;
    const keep = (f: File): File => { files.push(f); return f; };

    beforeEach(() => { np = new Netpoll({ backend }); files = []; fdsBefore = openFds(); });
    afterEach(async () => {
      for (const f of files) if (!f.closed) await f.close();
      np.shutdown();
      assert.deepEqual(fdsOpenedSince(fdsBefore), [], 'no descriptor leaks');
    });

    test('an eventfd counter: writes add up, a read takes the sum, an empty counter parks the reader', async () => {
      const ev = keep(openEventFd(0, { netpoll: np }));
      assert.equal(ev.kind, 'other');
      assert.equal(ev.pollable, true);
      await addToCounter(ev, 3n);
      await addToCounter(ev, 4);
      assert.equal(await readCounter(ev), 7n);
      const parked = readCounter(ev);
      assert.equal(await settled(parked, 20), 'pending', 'zero: the read waits (no end of file on a message device)');
      await addToCounter(ev, 1n);
      assert.equal(await parked, 1n);
      // A record is 8 bytes: a shorter buffer is the kernel's EINVAL, a clear error.
      await assert.rejects(ev.read(new Uint8Array(4)), (e: unknown) => e instanceof PathError && e.code === 'EINVAL');
      await assert.rejects(addToCounter(ev, 0n), RangeError);
    });

    test('an eventfd in semaphore mode gives 1 per read', async () => {
      const ev = keep(openEventFd(2, { netpoll: np, semaphore: true }));
      assert.equal(await readCounter(ev), 1n);
      assert.equal(await readCounter(ev), 1n);
      assert.equal(await settled(readCounter(ev), 20), 'pending');
    });

    test('a timerfd expires on the monotonic clock and counts expirations', async () => {
      const t = keep(openTimerFd({ netpoll: np }));
      const first = readCounter(t);
      assert.equal(await settled(first, 20), 'pending', 'not armed: nothing to read');
      setTimer(t, 10, 10);
      assert.ok((await first) >= 1n);
      assert.ok((await readCounter(t)) >= 1n, 'the interval fires again');
      setTimer(t, 0);
      assert.equal(await settled(readCounter(t), 40), 'pending', 'disarmed');
      assert.throws(() => setTimer(t, -1), RangeError);
    });

    test('an inotify watch reports a file created and written in a watched directory', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'netpoll-inotify-'));
      try {
        const ino = keep(openInotify({ netpoll: np }));
        const wd = addWatch(ino, dir, IN_CREATE | IN_CLOSE_WRITE);
        assert.ok(wd >= 1);
        const chunk = ino.readChunk();
        writeFileSync(join(dir, 'made.txt'), 'x');
        const seen: string[] = [];
        let c = await chunk;
        for (;;) {
          for (const ev of parseInotifyEvents(c!)) {
            assert.equal(ev.wd, wd);
            seen.push(`${ev.mask & IN_CREATE ? 'create' : 'close-write'} ${ev.name}`);
          }
          if (seen.includes('close-write made.txt')) break;
          c = await ino.readChunk();
        }
        assert.deepEqual(seen, ['create made.txt', 'close-write made.txt']);
        assert.throws(() => addWatch(ino, join(dir, 'missing'), IN_CREATE), (e: unknown) => (e as PathError).code === 'ENOENT');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a signalfd receives a signal blocked in this thread', async () => {
      blockSignals([SIGURG]);
      try {
        const sfd = keep(openSignalFd([SIGURG], { netpoll: np }));
        const chunk = sfd.readChunk();
        assert.equal(await settled(chunk, 10), 'pending');
        assert.equal(raiseSignal(SIGURG), 0);
        const infos = parseSignalInfo((await chunk)!);
        assert.equal(infos.length, 1);
        assert.equal(infos[0]!.signo, SIGURG);
        assert.equal(infos[0]!.pid, process.pid);
      } finally {
        blockSignals([SIGURG], false);
      }
    });

    test('a pty pair drives a real interactive shell; EIO after it exits reads as end of file', async () => {
      const { master, slave, path } = openPty({ netpoll: np });
      keep(master);
      assert.match(path, /^\/dev\/pts\/\d+$/);
      assert.equal(master.kind, 'tty');
      assert.equal(master.pollable, true);
      const sh = spawn('/bin/sh', ['-i'], { stdio: [slave, slave, slave], detached: true, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PS1: '$ ' } });
      const exited = new Promise<number | null>((r) => sh.on('exit', (code) => r(code)));
      closeSync(slave); // the shell holds its own copies: its exit is the last close
      let out = '';
      const until = async (re: RegExp): Promise<void> => {
        while (!re.test(out)) {
          const c = await master.readChunk();
          if (c === null) throw new Error(`end of file before ${String(re)}: ${JSON.stringify(out)}`);
          out += new TextDecoder().decode(c);
        }
      };
      await master.write(new TextEncoder().encode('echo "answer=$((6*7))"; tty\n'));
      await until(/answer=42\r?\n/);
      await until(new RegExp(`${path}\\r?\\n`));
      await master.write(new TextEncoder().encode('exit 3\n'));
      for (let c; (c = await master.readChunk()) !== null;) out += new TextDecoder().decode(c);
      assert.equal(await exited, 3);
    });

    test('without eioIsEOF a pty master reports EIO once the other side is gone', async () => {
      const { master, slave } = openPty({ netpoll: np, eioIsEOF: false });
      keep(master);
      closeSync(slave);
      await assert.rejects(master.read(new Uint8Array(16)), (e: unknown) => e instanceof PathError && e.code === 'EIO');
    });
  });
}
