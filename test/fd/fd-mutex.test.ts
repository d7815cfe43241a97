import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUSY, CLOSED, FdMutex, FdMutexError, LOCKED, MUTEX_MAX } from '../../src/fd/fd-mutex.ts';

describe('fdMutex', () => {
  test('reads exclude reads, writes exclude writes, a read and a write overlap', () => {
    const mu = new FdMutex();
    assert.equal(mu.tryRWLock(true), LOCKED);
    assert.equal(mu.tryRWLock(true), BUSY);
    assert.equal(mu.tryRWLock(false), LOCKED);
    assert.equal(mu.tryRWLock(false), BUSY);
    assert.equal(mu.refCount, 2);
    assert.equal(mu.rwunlock(true), false);
    assert.equal(mu.rwunlock(false), false);
    assert.equal(mu.refCount, 0);
  });

  test('queued readers get the lock in order, one at a time', async () => {
    const mu = new FdMutex();
    assert.equal(mu.tryRWLock(true), LOCKED);
    const order: number[] = [];
    const ps = [1, 2, 3].map((i) => mu.rwlock(true).then((ok) => { assert.ok(ok); order.push(i); }));
    // A newcomer does not barge past the queue.
    assert.equal(mu.tryRWLock(true), BUSY);
    assert.equal(mu.readWaiters, 3);
    for (let i = 0; i < 3; i++) {
      mu.rwunlock(true);
      await ps[i];
      assert.deepEqual(order, [1, 2, 3].slice(0, i + 1));
      assert.equal(mu.refCount, 1);
    }
    assert.equal(mu.rwunlock(true), false);
    assert.equal(mu.refCount, 0);
  });

  test('2^20 references panic "too many concurrent operations"', () => {
    const mu = new FdMutex();
    for (let i = 0; i < MUTEX_MAX; i++) assert.ok(mu.incref());
    assert.throws(() => mu.incref(), (e: unknown) => e instanceof FdMutexError && /too many concurrent operations on a single file or socket \(max 1048575\)/.test(e.message));
    assert.throws(() => mu.tryRWLock(true), /too many concurrent operations/);
  });

  test('an unlock without a lock panics "inconsistent poll.fdMutex"', () => {
    const mu = new FdMutex();
    assert.throws(() => mu.rwunlock(true), /inconsistent poll\.fdMutex/);
    assert.throws(() => mu.rwunlock(false), /inconsistent poll\.fdMutex/);
    assert.throws(() => mu.decref(), /inconsistent poll\.fdMutex/);
    assert.equal(mu.tryRWLock(true), LOCKED);
    assert.throws(() => mu.rwunlock(false), /inconsistent poll\.fdMutex/);
  });

  test('increfAndClose releases every queued waiter as closed; later locks fail', async () => {
    const mu = new FdMutex();
    assert.equal(mu.tryRWLock(true), LOCKED);
    assert.equal(mu.tryRWLock(false), LOCKED);
    const queued = [mu.rwlock(true), mu.rwlock(true), mu.rwlock(false)];
    assert.ok(mu.increfAndClose());
    assert.deepEqual(await Promise.all(queued), [false, false, false]);
    assert.equal(mu.readWaiters + mu.writeWaiters, 0);
    assert.equal(mu.increfAndClose(), false);
    assert.equal(mu.incref(), false);
    assert.equal(mu.tryRWLock(true), CLOSED);
    assert.equal(await mu.rwlock(false), false);
    // Three references: both locks and close's own; the last one out reports destroy.
    assert.equal(mu.decref(), false);
    assert.equal(mu.rwunlock(true), false);
    assert.equal(mu.rwunlock(false), true);
  });

  test('an aborted queued lock leaves the queue', async () => {
    const mu = new FdMutex();
    mu.tryRWLock(true);
    const ac = new AbortController();
    const p = mu.rwlock(true, ac.signal);
    const q = mu.rwlock(true);
    ac.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
    assert.equal(mu.readWaiters, 1);
    mu.rwunlock(true);
    assert.equal(await q, true);
  });
});
