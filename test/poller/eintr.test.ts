// EINTR during a timed wait returns an empty result; during an infinite
// wait the poll retries. A signal is sent to the polling thread alone
// (tgkill), with a handler installed so it interrupts instead of killing.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { wakerFrom, type WakerHandle } from '../../src/poller/index.ts';
import { libc } from '../../src/sys/libc-handle.ts';
import { sleep } from '../helpers/async.ts';
import { backends } from '../helpers/backends.ts';
import { tsWorker } from '../helpers/ts-worker.ts';

const linux = process.platform === 'linux';
const SYS_tgkill = process.arch === 'arm64' ? 131 : 234;
const SIGUSR2 = 12;
const syscall3 = linux ? libc.func('long syscall(long number, long a, long b, long c)') as (...a: number[]) => number : null;

async function blockedPoll(backend: string, delayNs: number, afterSignal: (waker: WakerHandle) => void) {
  const onSignal = () => {};
  process.on('SIGUSR2', onSignal);
  const worker = tsWorker(new URL('../helpers/eintr-worker.ts', import.meta.url), { workerData: { backend, delayNs } });
  try {
    const [{ tid, waker }] = await once(worker, 'message') as [{ tid: number; waker: WakerHandle }];
    await sleep(50); // the worker is inside poll() by now
    const t0 = performance.now();
    assert.equal(syscall3!(SYS_tgkill, process.pid, tid, SIGUSR2), 0);
    afterSignal(waker);
    const [result] = await once(worker, 'message') as [{ n: number; ms: number }];
    return { ...result, sinceSignal: performance.now() - t0 };
  } finally {
    process.off('SIGUSR2', onSignal);
    await worker.terminate();
  }
}

for (const backend of backends) {
  describe(`EINTR (${backend})`, { skip: linux ? false : 'tgkill and thread ids are Linux-only here' }, () => {
    test('a signal during a timed wait returns an empty result early', async () => {
      const r = await blockedPoll(backend, 10e9, () => {});
      assert.equal(r.n, 0);
      assert.ok(r.ms < 5000, `returned after ${r.ms} ms of a 10 s wait`);
    });

    test('a signal during an infinite wait is retried: the poll returns only when woken', async () => {
      let wokeAt = 0;
      const r = await blockedPoll(backend, -1, (waker) => {
        setTimeout(() => { wokeAt = performance.now(); wakerFrom(waker).wake(); }, 150);
      });
      assert.equal(r.n, 0);
      assert.ok(wokeAt > 0, 'the poll was still blocked when the wake came');
      assert.ok(r.sinceSignal >= 140, `returned ${r.sinceSignal} ms after the signal, not at it`);
    });
  });
}
