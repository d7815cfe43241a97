// The platform pollers (Go's netpoll_epoll.go / netpoll_kqueue.go), held to
// one table of behaviours (docs/semantics.md lists them).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { createPoller, PollerShutdownError, resolveBackend, wakerFrom, type Mode, type Poller } from '../../src/poller/index.ts';
import { epollTimeoutMs } from '../../src/poller/epoll.ts';
import { read } from '../../src/sys/libc.ts';
import { backends } from '../helpers/backends.ts';
import { closeAll, fdsOpenedSince, openFds, pipe, socketPair, writeStr } from '../helpers/fds.ts';
import { tsWorker } from '../helpers/ts-worker.ts';

type Ev = [token: number, mode: Mode, eventErr: boolean];
function collect(p: Poller, delayNs = 0): Ev[] {
  const out: Ev[] = [];
  p.poll(delayNs, (t, m, e) => out.push([t, m, e]));
  return out;
}

function startWaker(p: Poller, delayMs: number, count: number): Worker {
  return tsWorker(new URL('../helpers/wake-worker.ts', import.meta.url), {
    workerData: { handle: p.waker(), delayMs, count },
  });
}

async function ready(w: Worker): Promise<void> {
  const [msg] = await once(w, 'message');
  assert.equal(msg, 'ready');
}

/** The eventfd counter / pipe bytes behind a waker handle: how many kernel wakes are pending. */
function pendingKernelWakes(p: Poller): number {
  const h = p.waker();
  if (h.kind === 'kevent-user') return -1; // kernel kqueue: not observable from here
  const b = new Uint8Array(16);
  const n = read(h.fd, b, h.kind === 'eventfd' ? 8 : 16);
  if (n < 0) return 0;
  return h.kind === 'eventfd' ? Number(new DataView(b.buffer).getBigUint64(0, true)) : n;
}

for (const backend of backends) {
  describe(`poller (${backend})`, () => {
    test('createPoller picks the backend asked for', () => {
      const p = createPoller({ backend });
      try {
        assert.equal(p.backend, backend);
        assert.ok(p.fd >= 0);
      } finally { p.shutdown(); }
    });

    test('poll(0) returns at once with nothing when no events', () => {
      const p = createPoller({ backend });
      try {
        const t0 = performance.now();
        assert.deepEqual(collect(p, 0), []);
        assert.ok(performance.now() - t0 < 1000);
      } finally { p.shutdown(); }
    });

    test('poll(d>0) with no events returns empty after about d', () => {
      const p = createPoller({ backend });
      try {
        const t0 = performance.now();
        assert.deepEqual(collect(p, 30e6), []);
        const ms = performance.now() - t0;
        assert.ok(ms >= 29, `returned after ${ms} ms`);
        assert.ok(ms < 2000);
      } finally { p.shutdown(); }
    });

    test('read and write readiness arrive edge-triggered with the token', () => {
      const p = createPoller({ backend });
      const [r, w] = pipe();
      try {
        p.open(r, 7);
        p.open(w, 2 ** 40 + 9);
        const first = collect(p);
        assert.deepEqual(first, [[2 ** 40 + 9, 'w', false]]);
        assert.deepEqual(collect(p), [], 'edge-triggered: no second report');
        writeStr(w, 'x');
        const ev = collect(p);
        assert.deepEqual(ev.filter(([t]) => t === 7), [[7, 'r', false]]);
        assert.deepEqual(collect(p), []);
      } finally { p.shutdown(); closeAll(r, w); }
    });

    test('a poll blocked with a huge delay returns promptly after a wake from another thread', async () => {
      const p = createPoller({ backend });
      const worker = startWaker(p, 50, 1);
      try {
        await ready(worker);
        const t0 = performance.now();
        // 30 days: Go caps kqueue's sleep at 1e6 s and epoll's at 1e9 ms; no EINVAL.
        assert.equal(p.poll(30 * 86400e9, () => assert.fail('no user event expected')), 0);
        assert.ok(performance.now() - t0 < 5000);
      } finally { await worker.terminate(); p.shutdown(); }
    });

    test('a poll(-1) blocked in this thread wakes after a worker wakes it', async () => {
      const p = createPoller({ backend });
      const worker = startWaker(p, 30, 1);
      try {
        await ready(worker);
        assert.equal(p.poll(-1, () => assert.fail('no user event expected')), 0);
      } finally { await worker.terminate(); p.shutdown(); }
    });

    test('1000 wakes before the poller runs cost one kernel wake; the flag clears only in a blocking poll', async () => {
      const p = createPoller({ backend });
      const worker = startWaker(p, 0, 1000);
      try {
        await ready(worker);
        await once(worker, 'message'); // 'woke': all 1000 done
        for (let i = 0; i < 1000; i++) p.wake();
        assert.equal(p.poll(0, () => {}), 0); // non-blocking: sees it, leaves it
        const pending = pendingKernelWakes(p);
        if (pending >= 0) assert.equal(pending, 1, 'exactly one kernel wake for 2000 wake() calls');
      } finally { await worker.terminate(); p.shutdown(); }
    });

    test('a wake swallowed by a non-blocking poll still wakes the blocking poller', () => {
      const p = createPoller({ backend });
      try {
        p.wake();
        assert.deepEqual(collect(p, 0), []);
        assert.deepEqual(collect(p, 0), []);
        const t0 = performance.now();
        assert.equal(p.poll(5e9, () => {}), 0);
        assert.ok(performance.now() - t0 < 2000, 'the blocking poll saw the relayed wake-up');
      } finally { p.shutdown(); }
    });

    test('after a blocking poll consumed a wake, the next wake wakes again', () => {
      const p = createPoller({ backend });
      try {
        for (let round = 0; round < 3; round++) {
          p.wake();
          const t0 = performance.now();
          p.poll(5e9, () => {});
          assert.ok(performance.now() - t0 < 2000, `round ${round} woke`);
        }
        // And with nothing pending, a timed poll really waits.
        const t0 = performance.now();
        p.poll(20e6, () => {});
        assert.ok(performance.now() - t0 >= 19);
      } finally { p.shutdown(); }
    });

    test('the wake channel is never a user event; isPollDescriptor is true only for the poller', () => {
      const p = createPoller({ backend });
      const [r, w] = pipe();
      try {
        p.open(r, 1);
        p.wake();
        const ev = collect(p, 1e6);
        assert.ok(ev.every(([t]) => t === 1));
        assert.equal(p.isPollDescriptor(p.fd), true);
        const h = p.waker();
        if (h.kind !== 'kevent-user') assert.equal(p.isPollDescriptor(h.fd), true);
        assert.equal(p.isPollDescriptor(r), false);
        assert.equal(p.isPollDescriptor(w), false);
        assert.throws(() => p.open(p.fd, 3), RangeError);
      } finally { p.shutdown(); closeAll(r, w); }
    });

    test('peer close wakes the reader; a full close also wakes writers', () => {
      const p = createPoller({ backend });
      const [a, b] = socketPair();
      try {
        p.open(a, 1);
        collect(p); // initial writability
        closeAll(b);
        const modes = collect(p).filter(([t]) => t === 1).map(([, m]) => m);
        assert.ok(modes.some((m) => m !== 'w'), `reader woken: ${modes}`);
        // epoll: HUP wakes both; kqueue: EV_EOF on the read filter means 'rw'.
        assert.ok(modes.includes('rw'), `writer woken too: ${modes}`);
      } finally { p.shutdown(); closeAll(a); }
    });

    test('arm throws as in Go', () => {
      const p = createPoller({ backend });
      try { assert.throws(() => p.arm(1, 'r'), /runtime: unused/); } finally { p.shutdown(); }
    });

    test('bad input gets a clear error', () => {
      const p = createPoller({ backend });
      try {
        for (const fd of [-1, 1.5, NaN, 2 ** 40]) assert.throws(() => p.open(fd, 1), RangeError, `fd ${fd}`);
        for (const tok of [-1, 0.5, NaN, 2 ** 53]) assert.throws(() => p.open(0, tok), RangeError, `token ${tok}`);
        for (const d of [NaN, Infinity, -Infinity]) assert.throws(() => p.poll(d, () => {}), RangeError, `delay ${d}`);
        // A closed or never-opened descriptor: the kernel says EBADF.
        const [r, w] = pipe();
        closeAll(r, w);
        assert.throws(() => p.open(r, 1), (e: Error & { code?: string }) => e.code === 'EBADF');
      } finally { p.shutdown(); }
    });

    test('every call after shutdown() throws PollerShutdownError; shutdown twice is harmless', () => {
      const p = createPoller({ backend });
      p.shutdown();
      p.shutdown();
      assert.equal(p.closed, true);
      for (const call of [() => p.poll(0, () => {}), () => p.open(0, 1), () => p.close(0), () => p.wake(), () => p.waker()]) {
        assert.throws(call, PollerShutdownError);
      }
    });

    test('a waker of a shut-down poller makes no system call', () => {
      const p = createPoller({ backend });
      const waker = wakerFrom(p.waker());
      p.shutdown();
      const [r, w] = pipe(); // may reuse the poller's old numbers
      try {
        waker.wake();
        assert.equal(read(r, new Uint8Array(8), 8) < 0, true, 'nothing written into a reused descriptor');
      } finally { closeAll(r, w); }
    });

    test('no descriptor leaks: /proc/self/fd returns to its start after shutdown()', () => {
      const start = openFds();
      for (let i = 0; i < 20; i++) {
        const p = createPoller({ backend });
        const [r, w] = pipe();
        p.open(r, 1); p.open(w, 2);
        p.wake();
        p.poll(0, () => {});
        p.shutdown();
        closeAll(r, w);
      }
      assert.deepEqual(fdsOpenedSince(start), []);
    });
  });
}

describe('poller selection', () => {
  test('NETPOLL_BACKEND and bad backend names', () => {
    const saved = process.env['NETPOLL_BACKEND'];
    try {
      process.env['NETPOLL_BACKEND'] = 'kqueue';
      assert.equal(resolveBackend('auto'), 'kqueue');
      process.env['NETPOLL_BACKEND'] = 'bogus';
      assert.throws(() => resolveBackend('auto'), RangeError);
      delete process.env['NETPOLL_BACKEND'];
      assert.equal(resolveBackend('auto'), process.platform === 'linux' ? 'epoll' : 'kqueue');
      assert.throws(() => resolveBackend('select' as never), RangeError);
    } finally {
      if (saved === undefined) delete process.env['NETPOLL_BACKEND']; else process.env['NETPOLL_BACKEND'] = saved;
    }
  });

  test('epoll rounds sub-millisecond waits up and caps long ones as Go does', () => {
    assert.equal(epollTimeoutMs(-5), -1);
    assert.equal(epollTimeoutMs(0), 0);
    assert.equal(epollTimeoutMs(1), 1);
    assert.equal(epollTimeoutMs(999_999), 1);
    assert.equal(epollTimeoutMs(2_500_000), 2);
    assert.equal(epollTimeoutMs(1e16), 1e9);
  });
});
