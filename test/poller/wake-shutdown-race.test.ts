// A wake from another thread racing with shutdown(): Go never closes its
// poller, this one does, so a wake already past its checks could write into
// a descriptor number the poller just gave back and someone else reused.
// Here a worker wakes each poller nonstop while it is shut down and its
// numbers go straight to new pipes: no wake may throw, and no pipe may
// receive a byte.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { createPoller } from '../../src/poller/index.ts';
import { read } from '../../src/sys/libc.ts';
import { backends } from '../helpers/backends.ts';
import { closeAll, pipe } from '../helpers/fds.ts';
import { tsWorker } from '../helpers/ts-worker.ts';

const POLLERS = 1000;

for (const backend of backends) {
  describe(`wake racing shutdown (${backend})`, () => {
    test('a wake from another thread never writes into a reused descriptor, and never fails, while the poller shuts down', async () => {
      const pollers = Array.from({ length: POLLERS }, () => createPoller({ backend }));
      const ctl = new SharedArrayBuffer(8);
      const c = new Int32Array(ctl);
      const worker = tsWorker(new URL('../helpers/wake-race-worker.ts', import.meta.url), {
        workerData: { handles: pollers.map((p) => p.waker()), ctl },
      });
      const pipes: number[] = [];
      try {
        assert.equal((await once(worker, 'message'))[0], 'ready');
        for (let k = 0; k < POLLERS; k++) {
          const p = pollers[k]!;
          // Blocking-style polls consume the wake and clear the flag, so the worker's next wake goes to the kernel.
          for (let j = 0; j < 3; j++) p.poll(0, () => {}, true);
          p.shutdown();
          // The lowest free numbers: the ones the poller just closed.
          pipes.push(...pipe(), ...pipe());
          Atomics.store(c, 0, k + 1);
        }
        const [{ firstError }] = await once(worker, 'message') as [{ firstError: string }];
        assert.equal(Atomics.load(c, 1), 0, `wakes that threw: ${Atomics.load(c, 1)} (first: ${firstError})`);
        const b = new Uint8Array(64);
        let stray = 0;
        for (const fd of pipes) {
          const n = read(fd, b, b.length);
          if (n > 0) stray += n;
        }
        assert.equal(stray, 0, 'bytes a wake wrote into descriptors that were reused');
      } finally {
        Atomics.store(c, 0, POLLERS);
        await worker.terminate();
        for (const p of pollers) p.shutdown();
        closeAll(...pipes);
      }
    });
  });
}
