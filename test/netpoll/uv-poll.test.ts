// The loop watch: libuv's poll handle made through libuv's own functions on
// the main thread, koffi.node.poll in a worker (uv_default_loop() is the
// main thread's loop there). Both must call back on the calling thread's
// loop, hold the process open only while referenced, and never call back
// after close().
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { loopWatchKind, watchReadable } from '../../src/netpoll/uv-poll.ts';
import { nonblockingPipe } from '../../src/sys/descriptors.ts';
import { close, read, write } from '../../src/sys/libc.ts';
import { tsWorker } from '../helpers/ts-worker.ts';

function pipe(): { rd: number; wr: number; done(): void } {
  const [rd, wr] = nonblockingPipe();
  return { rd, wr, done: () => { close(rd); close(wr); } };
}

describe('loop watch (uv-poll)', () => {
  test('on the main thread it uses libuv directly', () => {
    assert.equal(loopWatchKind(), 'uv');
  });

  test('calls back with status 0 each time the descriptor is readable (level-triggered)', async () => {
    const p = pipe();
    const seen: number[] = [];
    const buf = new Uint8Array(8);
    let wake: (() => void) | null = null;
    const w = watchReadable(p.rd, (status) => {
      seen.push(status);
      read(p.rd, buf, 1); // one byte per call: a second byte keeps it readable
      wake?.();
    });
    try {
      write(p.wr, new Uint8Array([1, 2]), 2);
      while (seen.length < 2) await new Promise<void>((r) => { wake = r; });
      assert.deepEqual(seen, [0, 0]);
    } finally {
      w.close();
      p.done();
    }
  });

  test('no call back after close(), even with the descriptor readable', async () => {
    const p = pipe();
    let calls = 0;
    const w = watchReadable(p.rd, () => { calls++; });
    w.close();
    w.close(); // idempotent
    write(p.wr, new Uint8Array([1]), 1);
    for (let i = 0; i < 5; i++) await turn();
    assert.equal(calls, 0);
    p.done();
  });

  test('closing from inside its own callback is safe', async () => {
    const p = pipe();
    let calls = 0;
    const w = watchReadable(p.rd, () => { calls++; w.close(); });
    write(p.wr, new Uint8Array([1]), 1); // never read: stays readable
    for (let i = 0; i < 10 && calls === 0; i++) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 5; i++) await turn();
    assert.equal(calls, 1);
    p.done();
  });

  test('many watches made and closed: each is freed once libuv has closed it', async () => {
    const p = pipe();
    for (let i = 0; i < 2000; i++) watchReadable(p.rd, () => undefined).close();
    await turn(); // closing callbacks run at the end of a loop iteration
    const w = watchReadable(p.rd, () => undefined);
    w.close();
    p.done();
  });

  test('in a worker thread it uses koffi.node.poll on the worker\'s own loop', async () => {
    const worker = tsWorker(new URL('../fixtures/uv-poll-worker.ts', import.meta.url));
    const [msg] = await once(worker, 'message') as [{ kind: string; status: number }];
    assert.deepEqual(msg, { kind: 'koffi', status: 0 });
    await worker.terminate();
  });
});
