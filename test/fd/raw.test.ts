// Go's FD.RawRead / RawWrite / RawControl: the caller's own syscall under
// the FD's lock, parking on the poll descriptor between attempts.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { FD } from '../../src/fd/index.ts';
import { DeadlineExceededError, NetClosingError, Netpoll, NotPollableError } from '../../src/netpoll/index.ts';
import { C } from '../../src/sys/constants.ts';
import { fcntl, read as sysRead, write as sysWrite } from '../../src/sys/libc.ts';
import { settledWithin } from '../helpers/async.ts';
import { backends } from '../helpers/backends.ts';
import { fdIsOpen, socketPair } from '../helpers/fds.ts';

const EAGAIN = -C.EAGAIN;

for (const backend of backends) {
  describe(`FD raw access (${backend})`, () => {
    let np: Netpoll;
    let fds: FD[];
    const pair = (opts: ConstructorParameters<typeof FD>[1] = {}): [FD, FD] => {
      const [x, y] = socketPair();
      const a = new FD(x, { netpoll: np, ...opts }), b = new FD(y, { netpoll: np, ...opts });
      fds.push(a, b);
      return [a, b];
    };
    /** Fills a's send buffer until write(2) gives EAGAIN. */
    const fill = (a: FD): void => {
      const chunk = new Uint8Array(1 << 16);
      while (sysWrite(a.sysfd, chunk, chunk.length) > 0);
    };

    beforeEach(() => { np = new Netpoll({ backend }); fds = []; });
    afterEach(async () => {
      for (const f of fds) if (!f.closed) await f.close();
      np.shutdown();
    });

    test('rawRead calls fn until it returns true, parking for readability between calls', async () => {
      const [a, b] = pair();
      const buf = new Uint8Array(16);
      const seen: number[] = [];
      let n = 0;
      const p = b.rawRead((sysfd) => {
        seen.push(sysfd);
        n = sysRead(sysfd, buf, buf.length);
        return n !== EAGAIN;
      });
      assert.equal(await settledWithin(p, 20), 'pending');
      assert.equal(seen.length, 1, 'fn is not called again before readiness');
      assert.equal(sysWrite(a.sysfd, new Uint8Array([7, 8, 9]), 3), 3);
      await p;
      assert.equal(n, 3);
      assert.deepEqual([...buf.subarray(0, 3)], [7, 8, 9]);
      assert.ok(seen.length >= 2 && seen.every((fd) => fd === b.sysfd));
    });

    test('rawRead that succeeds at once calls fn once and never waits', async () => {
      const [a, b] = pair();
      sysWrite(a.sysfd, new Uint8Array([1]), 1);
      let calls = 0;
      await b.rawRead((sysfd) => { calls++; return sysRead(sysfd, new Uint8Array(1), 1) === 1; });
      assert.equal(calls, 1);
    });

    test('rawWrite parks for writability while the send buffer is full', async () => {
      const [a, b] = pair();
      fill(a);
      let calls = 0;
      const p = a.rawWrite((sysfd) => { calls++; return sysWrite(sysfd, new Uint8Array([42]), 1) === 1; });
      assert.equal(await settledWithin(p, 20), 'pending');
      // Drain the peer: the writer becomes writable and fn runs again.
      const sink = new Uint8Array(1 << 16);
      while (sysRead(b.sysfd, sink, sink.length) > 0);
      await p;
      assert.ok(calls >= 2);
    });

    test('raw operations honour the read and write deadlines', async () => {
      const [a, b] = pair();
      b.setReadDeadline(Date.now() - 1);
      let calls = 0;
      await assert.rejects(b.rawRead(() => { calls++; return false; }), DeadlineExceededError);
      assert.equal(calls, 0, 'an expired deadline fails before fn runs (Go: prepareRead)');
      b.setReadDeadline(Date.now() + 30);
      await assert.rejects(b.rawRead(() => false), DeadlineExceededError);
      fill(a);
      a.setWriteDeadline(Date.now() + 30);
      await assert.rejects(a.rawWrite(() => false), DeadlineExceededError);
    });

    test('close wakes a parked raw operation with the closed error; fn is not called after close', async () => {
      const [, b] = pair();
      let calls = 0;
      const p = b.rawRead(() => { calls++; return false; });
      assert.equal(await settledWithin(p, 20), 'pending');
      await b.close();
      await assert.rejects(p, NetClosingError);
      assert.equal(calls, 1);
      await assert.rejects(b.rawRead(() => true), NetClosingError);
      await assert.rejects(b.rawWrite(() => true), NetClosingError);
    });

    test('an abort signal rejects a parked or already-aborted raw operation with its reason', async () => {
      const [, b] = pair();
      const ac = new AbortController();
      const p = b.rawRead(() => false, ac.signal);
      assert.equal(await settledWithin(p, 20), 'pending');
      const reason = new Error('stop');
      ac.abort(reason);
      await assert.rejects(p, (e) => e === reason);
      let calls = 0;
      await assert.rejects(b.rawWrite(() => { calls++; return true; }, AbortSignal.abort(reason)), (e) => e === reason);
      assert.equal(calls, 0, 'an aborted signal runs nothing');
      // The FD stays usable.
      await b.rawWrite(() => true);
    });

    test('what fn throws rejects the operation and releases the lock', async () => {
      const [, b] = pair();
      const boom = new Error('boom');
      await assert.rejects(b.rawRead(() => { throw boom; }), (e) => e === boom);
      await b.rawRead(() => true);
    });

    test('raw reads queue on the read lock: the second runs after the first returned true', async () => {
      const [a, b] = pair();
      const order: string[] = [];
      const one = new Uint8Array(1);
      const p1 = b.rawRead((fd) => { const ok = sysRead(fd, one, 1) === 1; if (ok) order.push('first'); return ok; });
      const p2 = b.rawRead((fd) => { const ok = sysRead(fd, one, 1) === 1; if (ok) order.push('second'); return ok; });
      // A raw write runs beside the parked raw read (separate locks).
      await a.rawWrite((fd) => sysWrite(fd, new Uint8Array([1, 2]), 2) === 2);
      await Promise.all([p1, p2]);
      assert.deepEqual(order, ['first', 'second']);
    });

    test('rawControl runs fn with the descriptor and returns its result; closed FDs refuse it', async () => {
      const [a] = pair();
      const sysfd = a.sysfd;
      const fl = a.rawControl((fd) => fcntl(fd, C.F_GETFL, 0));
      assert.ok((fl & C.O_NONBLOCK) !== 0);
      assert.equal(a.rawControl((fd) => fd), sysfd);
      // A close requested during fn waits for fn's reference: the descriptor is open throughout.
      let closing: Promise<void> | undefined;
      a.rawControl((fd) => { closing = a.close(); assert.equal(fdIsOpen(fd), true); });
      await closing;
      assert.equal(fdIsOpen(sysfd), false);
      assert.throws(() => a.rawControl(() => 0), NetClosingError);
      assert.throws(() => a.rawControl(null as unknown as () => void), TypeError);
      await assert.rejects(a.rawRead(null as unknown as () => boolean), TypeError);
    });

    test('a blocking-mode FD cannot wait: fn returning false is "waiting for unsupported file type"', async () => {
      const [a] = pair({ pollable: false });
      await a.rawRead(() => true);
      await assert.rejects(a.rawRead(() => false), (e) => e instanceof NotPollableError && /unsupported file type/.test(e.message));
    });
  });
}
