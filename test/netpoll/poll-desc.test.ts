// Go's pollDesc state machine (runtime/netpoll.go) on real descriptors,
// driven by Node's loop (docs/semantics.md lists the behaviours).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeadlineExceededError, NetClosingError, Netpoll, NotPollableError, PollDesc } from '../../src/netpoll/index.ts';
import { tokenOf } from '../../src/netpoll/poll-cache.ts';
import { pollThreads } from '../../src/netpoll/worker-driver.ts';
import { read } from '../../src/sys/libc.ts';
import { sleep } from '../helpers/async.ts';
import { backends } from '../helpers/backends.ts';
import { closeAll, fdsOpenedSince, openFds, pipe, socketPair, writeStr } from '../helpers/fds.ts';

const isTimeout = (e: unknown) => e instanceof DeadlineExceededError && e.message === 'i/o timeout' && e.timeout === true;
const isClosed = (e: unknown) => e instanceof NetClosingError && e.code === 'ERR_NETPOLL_CLOSED';

/** Waits (bounded) until cond holds: the worker driver's thread may still be starting. */
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) assert.fail('condition not reached in time');
    await sleep(5);
  }
}

/** Resolves to 'pending' if p has not settled within ms. */
async function settledWithin<T>(p: Promise<T>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  p.then(() => { state = 'resolved'; }, () => { state = 'rejected'; });
  await sleep(ms);
  return state;
}

for (const backend of backends) for (const driver of (process.env['DRV'] ? [process.env['DRV']] : ['loop', 'worker']) as ('loop' | 'worker')[]) {
  describe(`PollDesc (${backend}, ${driver} driver)`, () => {
    let np: Netpoll;
    test.beforeEach(() => { np = new Netpoll({ backend, driver }); });
    test.afterEach(() => { np.shutdown(); });

    test('a parked read wakes when data arrives', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        pd.reset('r');
        assert.ok(read(r, new Uint8Array(4), 4) < 0, 'EAGAIN first');
        setTimeout(() => writeStr(w, 'hi'), 10);
        await pd.wait('r');
        assert.equal(read(r, new Uint8Array(4), 4), 2);
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('readiness with nobody waiting is remembered, and discarded by reset', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        writeStr(w, 'x');
        await until(() => pd.state.rg === 'ready'); // the driver delivers the edge with nobody waiting
        await pd.wait('r'); // consumed without blocking
        assert.equal(pd.state.rg, 'nil');
        writeStr(w, 'y');
        await until(() => pd.state.rg === 'ready');
        pd.reset('r');
        assert.equal(pd.state.rg, 'nil');
        assert.equal(await settledWithin(pd.wait('r'), 50), 'pending', 'the reset forgot the old edge');
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('netpollWaiters returns to 0 after reads and writes finish', async () => {
      const [a, b] = socketPair();
      try {
        const pd = np.open(a);
        await sleep(10);
        pd.reset('rw');
        const p = pd.wait('r');
        assert.equal(np.waiters, 1);
        writeStr(b, 'z');
        await p;
        assert.equal(np.waiters, 0);
        np.close(pd);
      } finally { closeAll(a, b); }
    });

    test('zero deadline: a wait with no data blocks', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        pd.setDeadline(0, 'r');
        pd.setDeadline(null, 'r');
        assert.equal(await settledWithin(pd.wait('r'), 100), 'pending');
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('a deadline in the past fails at once, twice in a row, even with data pending', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        writeStr(w, 'data');
        await sleep(10);
        pd.setDeadline(Date.now() - 1000, 'r');
        assert.throws(() => pd.reset('r'), isTimeout);
        await assert.rejects(pd.wait('r'), isTimeout);
        await assert.rejects(pd.wait('r'), isTimeout);
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('deadline +50 ms: the wait fails with timeout not before the deadline, then keeps failing', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        const t0 = performance.now();
        pd.setDeadline(Date.now() + 50, 'r');
        await assert.rejects(pd.wait('r'), isTimeout);
        const took = performance.now() - t0;
        assert.ok(took >= 49, `fired after ${took} ms`);
        writeStr(w, 'late');
        await sleep(10);
        assert.throws(() => pd.reset('r'), isTimeout);
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('park: a Parker is called back synchronously by the drain, once, and can be taken back', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        await sleep(10);
        pd.reset('r');
        const calls: string[] = [];
        const parker = { pdReady: (m: string) => calls.push(`ready ${m}`), pdFail: (m: string, e: Error) => calls.push(`fail ${m} ${e.name}`) };
        assert.equal(pd.park('r', parker), false, 'nothing there: parked');
        assert.equal(np.waiters, 1);
        assert.throws(() => pd.park('r', parker), { code: 'ERR_NETPOLL_DOUBLE_WAIT' });
        writeStr(w, 'x');
        await until(() => calls.length > 0);
        assert.deepEqual(calls, ['ready r']);
        assert.equal(np.waiters, 0);
        // Readiness already there (remembered with nobody parked): park says so and does not park.
        writeStr(w, 'y');
        await until(() => pd.state.rg === 'ready');
        assert.equal(pd.park('r', parker), true);
        assert.equal(pd.state.rg, 'nil');
        // Taken back: nothing calls it any more.
        assert.equal(pd.park('r', parker), false);
        assert.equal(pd.unpark('r', parker), true);
        assert.equal(pd.unpark('r', parker), false);
        writeStr(w, 'z');
        await sleep(20);
        assert.deepEqual(calls, ['ready r']);
        // A close fails a parked task at once, synchronously.
        pd.reset('r');
        assert.equal(pd.park('r', parker), false);
        pd.unblock();
        assert.deepEqual(calls, ['ready r', 'fail r NetClosingError']);
        assert.throws(() => pd.park('r', parker), isClosed);
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('park: a deadline fails the parked task with a timeout; the other mode stays parked', async () => {
      const [a, b] = socketPair();
      try {
        const pd = np.open(a);
        await sleep(10);
        pd.reset('rw');
        const failed: string[] = [];
        const parker = { pdReady: () => failed.push('ready'), pdFail: (m: string, e: Error) => failed.push(`${m} ${(e as { code?: string }).code}`) };
        // The socket is writable: fill it so the write side really parks.
        const big = new Uint8Array(1 << 16);
        while (writeStr(a, Buffer.from(big).toString('latin1')) > 0) { /* until EAGAIN */ }
        pd.reset('w');
        assert.equal(pd.park('r', parker), false);
        assert.equal(pd.park('w', parker), false);
        pd.setDeadline(Date.now() + 20, 'r');
        await until(() => failed.length > 0);
        assert.deepEqual(failed, ['r ETIMEDOUT']);
        assert.equal(pd.state.wg, 'wait');
        np.close(pd);
        assert.deepEqual(failed, ['r ETIMEDOUT', 'w ERR_NETPOLL_CLOSED']);
      } finally { closeAll(a, b); }
    });

    test('a deadline extended again and again while armed fires only after the last one', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        let last = Date.now() + 30;
        pd.setDeadline(last, 'r');
        const p = pd.wait('r');
        let settled = false;
        p.catch(() => { settled = true; });
        for (let i = 0; i < 8; i++) {
          await sleep(10);
          assert.equal(settled, false, 'an extended deadline must not fire at an old instant');
          last = Date.now() + 30;
          pd.setDeadline(last, 'r');
        }
        await assert.rejects(p, isTimeout);
        assert.ok(Date.now() >= last - 1, `fired ${last - Date.now()} ms before the last deadline`);
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('a past deadline set while a task waits unblocks it with a timeout', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        const p = pd.wait('r');
        setTimeout(() => pd.setDeadline(1, 'r'), 10);
        await assert.rejects(p, isTimeout);
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('a past deadline then a zero deadline: the next wait blocks again', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        pd.setDeadline(1, 'r');
        await assert.rejects(pd.wait('r'), isTimeout);
        pd.setDeadline(null, 'r');
        assert.equal(await settledWithin(pd.wait('r'), 100), 'pending');
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('a past deadline on both, then the read deadline cleared: reads block, writes fail', async () => {
      const [a, b] = socketPair();
      try {
        const pd = np.open(a);
        pd.setDeadline(1, 'rw');
        pd.setDeadline(null, 'r');
        assert.equal(await settledWithin(pd.wait('r'), 100), 'pending');
        assert.throws(() => pd.reset('w'), isTimeout);
        np.close(pd);
      } finally { closeAll(a, b); }
    });

    test('a deadline moved later while parked holds until the new instant', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        const t0 = performance.now();
        pd.setDeadline(Date.now() + 30, 'r');
        const p = pd.wait('r');
        pd.setDeadline(Date.now() + 120, 'r');
        await assert.rejects(p, isTimeout);
        const took = performance.now() - t0;
        assert.ok(took >= 119, `expired after ${took} ms, not at the old instant`);
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('a deadline moved earlier while parked fails it sooner', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        pd.setDeadline(Date.now() + 10_000, 'r');
        const p = pd.wait('r');
        const t0 = performance.now();
        pd.setDeadline(Date.now() + 30, 'r');
        await assert.rejects(p, isTimeout);
        assert.ok(performance.now() - t0 < 5000);
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('rd == wd share one timer and expire both; changing one splits them', async () => {
      const [a, b] = socketPair();
      try {
        const pd = np.open(a);
        await sleep(10);
        pd.reset('w'); // forget the initial writability
        const d = Date.now() + 40;
        pd.setDeadline(d, 'rw');
        const sizeShared = np.timers.size;
        assert.equal(sizeShared, 1, 'one timer for rd == wd');
        pd.setDeadline(Date.now() + 10_000, 'w');
        assert.equal(np.timers.size, 2, 'split into two timers');
        await assert.rejects(pd.wait('r'), isTimeout);
        assert.doesNotThrow(() => pd.reset('w'), 'the write deadline was moved away');
        pd.setDeadline(null, 'rw');
        assert.equal(np.timers.size, 0);
        np.close(pd);
      } finally { closeAll(a, b); }
    });

    test('deadline equal to now counts as expired', () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        pd.setDeadline(Date.now(), 'r');
        assert.throws(() => pd.reset('r'), isTimeout);
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('unblock (Close) wakes parked read and write with the closed error', async () => {
      const [a, b] = socketPair();
      try {
        const pd = np.open(a);
        await sleep(10);
        pd.reset('rw');
        const pr = pd.wait('r');
        const pw = pd.wait('w');
        pd.unblock();
        await assert.rejects(pr, isClosed);
        await assert.rejects(pw, (e) => isClosed(e) && !(e as { timeout: boolean }).timeout);
        assert.throws(() => pd.reset('r'), isClosed);
        np.close(pd);
        assert.equal(np.waiters, 0);
      } finally { closeAll(a, b); }
    });

    test('a pure error event fails the next read wait with not-pollable; writes unaffected; a clean event clears it', async () => {
      const [a, b] = socketPair();
      try {
        const pd = np.open(a);
        await sleep(10);
        np.deliver(tokenOf(pd.slot, pd.fdseq), 'rw', true);
        await assert.rejects(pd.wait('r'), NotPollableError);
        assert.doesNotThrow(() => pd.reset('w'));
        np.deliver(tokenOf(pd.slot, pd.fdseq), 'r', false);
        await pd.wait('r');
        np.close(pd);
      } finally { closeAll(a, b); }
    });

    test('an event for a closed descriptor whose slot was reused wakes nobody; the new pd starts clean', async () => {
      for (let i = 0; i < 200; i++) {
        const [r1, w1] = pipe();
        const old = np.open(r1);
        old.setDeadline(1, 'r');
        const staleToken = tokenOf(old.slot, old.fdseq);
        np.close(old);
        closeAll(r1, w1);
        const [r2, w2] = pipe(); // usually the same numbers again
        const pd = np.open(r2);
        try {
          assert.equal(pd.slot, old.slot, 'slot reused');
          assert.notEqual(pd.fdseq, old.fdseq, 'generation bumped');
          np.deliver(staleToken, 'rw', true);
          assert.deepEqual(pd.state, { rg: 'nil', wg: 'nil', closing: false, eventErr: false, rd: 0, wd: 0 });
          assert.throws(() => old.setDeadline(null, 'r'), isClosed, 'the old handle stays closed');
        } finally { np.close(pd); closeAll(r2, w2); }
      }
    });

    test('abort signal rejects a parked wait with its reason and frees the slot', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        const ac = new AbortController();
        const p = pd.wait('r', ac.signal);
        ac.abort(new Error('stop'));
        await assert.rejects(p, /stop/);
        assert.equal(np.waiters, 0);
        await assert.rejects(pd.wait('r', AbortSignal.abort(new Error('already'))), /already/);
        np.close(pd);
      } finally { closeAll(r, w); }
    });

    test('bad input: modes, deadlines, a second waiter, files', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        for (const d of [NaN, -5, Infinity, new Date(NaN)]) assert.throws(() => pd.setDeadline(d, 'r'), RangeError, String(d));
        assert.throws(() => pd.setDeadline('soon' as never, 'r'), TypeError);
        assert.throws(() => pd.reset('x' as never), RangeError);
        await assert.rejects(pd.wait('rw'), RangeError);
        const first = pd.wait('r');
        await assert.rejects(pd.wait('r'), { code: 'ERR_NETPOLL_DOUBLE_WAIT' });
        pd.unblock();
        await assert.rejects(first, isClosed);
        np.close(pd);
        assert.throws(() => np.close(pd), RangeError, 'closing twice');
        for (const fd of [-1, 0.5, NaN]) assert.throws(() => np.open(fd), RangeError);
        assert.throws(() => np.close({} as PollDesc), TypeError);
      } finally { closeAll(r, w); }
      // Regular files are not pollable by epoll; kqueue accepts them.
      const { openSync, closeSync } = await import('node:fs');
      const file = openSync(new URL(import.meta.url), 'r');
      try {
        if (backend === 'epoll') assert.throws(() => np.open(file), NotPollableError);
      } finally { closeSync(file); }
    });

    test('shutdown fails every waiter and every later call', async () => {
      const [r, w] = pipe();
      try {
        const pd = np.open(r);
        const p = pd.wait('r');
        np.shutdown();
        await assert.rejects(p, isClosed);
        assert.throws(() => np.open(r), { code: 'ERR_NETPOLL_SHUTDOWN' });
      } finally { closeAll(r, w); }
    });
  });
}

describe('Netpoll', () => {
  test('no descriptor leaks after shutdown()', async () => {
    // The worker-driver tests' threads leave on their own: their loops' descriptors go with them.
    await until(() => pollThreads() === 0);
    const start = openFds();
    for (const backend of backends) {
      const np = new Netpoll({ backend });
      const [r, w] = pipe();
      np.open(r); np.open(w);
      np.shutdown();
      closeAll(r, w);
    }
    assert.deepEqual(fdsOpenedSince(start), []);
  });

  test('Netpoll.current() is one per thread, renewed after shutdown', () => {
    const a = Netpoll.current();
    assert.equal(Netpoll.current(), a);
    a.shutdown();
    const b = Netpoll.current();
    assert.notEqual(b, a);
    b.shutdown();
  });
});
