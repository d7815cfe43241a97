import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dial, listen, serve } from '../../src/index.ts';
import { FD, Netpoll } from '../../src/runtime.ts';
import { createPoller } from '../../src/poller/index.ts';
import { socketPair, closeRaw } from '../helpers/fds.ts';

/** The library's own TypeError: named, never a bare one from inside ("Cannot destructure …"). */
const ours = (re: RegExp) => (e: unknown): boolean => e instanceof TypeError && e.message.startsWith('netpoll') && re.test(e.message);

test('an options bag that is not an object, a netpoll option that is not a Netpoll, a signal that is not an AbortSignal: the library\'s own TypeError', async () => {
  const np = new Netpoll();
  const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
  try {
    await assert.rejects(dial('tcp', String(ln.addr), 5 as never), ours(/dial's options/));
    await assert.rejects(listen('tcp', '127.0.0.1:0', 'x' as never), ours(/listen's options/));
    await assert.rejects(dial('tcp', String(ln.addr), { netpoll: {} as never }), ours(/netpoll option/));
    await assert.rejects(dial('tcp', String(ln.addr), { netpoll: np, signal: {} as never }), ours(/AbortSignal/));
    await assert.rejects(listen('tcp', '127.0.0.1:0', { netpoll: np, signal: 'sig' as never }), ours(/AbortSignal/));
    await assert.rejects(serve(ln, { onData() {} }, { signal: {} as never }), ours(/AbortSignal/));
    assert.throws(() => new Netpoll(7 as never), ours(/Netpoll's options/));
    assert.throws(() => createPoller('epoll' as never), ours(/createPoller's options/));
    // null means "no options", as undefined does.
    const c = await dial('tcp', String(ln.addr), { netpoll: np });
    await c.close();
    const [a, b] = socketPair();
    assert.throws(() => new FD(a, { netpoll: 'x' as never }), ours(/netpoll option/));
    const f = new FD(a, null as never);   // this thread's Netpoll
    await f.close();
    closeRaw(b);
  } finally {
    await ln.close();
    np.shutdown();
  }
});

test('offsets and lengths of the wrong type (a BigInt) are the range check\'s RangeError, not a bare TypeError', async () => {
  const np = new Netpoll();
  const [a, b] = socketPair();
  const fa = new FD(a, { netpoll: np }), fb = new FD(b, { netpoll: np });
  try {
    const isRange = (e: unknown): boolean => e instanceof RangeError && e.message.startsWith('netpoll');
    await assert.rejects(fa.write(new Uint8Array(8), 2n as never, 2n as never), isRange);
    await assert.rejects(fb.read(new Uint8Array(8), 2n as never), isRange);
    await assert.rejects(fb.read(new Uint8Array(8), 0, 4n as never), isRange);
    // Nothing was lost: the pair still carries bytes both ways.
    assert.equal(await fa.write(Uint8Array.of(1, 2)), 2);
    assert.equal(await fb.read(new Uint8Array(8)), 2);
  } finally {
    await fa.close(); await fb.close();
    np.shutdown();
  }
});
