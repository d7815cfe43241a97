// A worker thread's Netpolls shut down when the thread ends: the poller's
// epoll or kqueue and its wake-up descriptor are the process's, and used to
// outlive the thread (one epoll and one eventfd leaked per worker). A thread
// stopped by worker.terminate() runs no JavaScript again: what it still held
// (pollers, connections, listeners) is closed by Node's cleanup at its end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { fdsOpenedSince, openFds } from '../helpers/fds.ts';
import { tsWorker } from '../helpers/ts-worker.ts';
import { backendCases as netBackends } from '../helpers/backends.ts';

const usable = netBackends.filter((b) => b.skip === null).map((b) => b.backend);

for (const how of ['natural', 'exit', 'terminate'] as const) {
  const ended = how === 'natural' ? 'its loop ran dry' : how === 'exit' ? 'process.exit()' : 'worker.terminate(), connections still open';
  test(`a worker thread that used netpoll and ended (${ended}) leaves no descriptor open`, async () => {
    const before = openFds();
    const w = tsWorker(new URL('../fixtures/netpoll-thread-end.ts', import.meta.url), { workerData: { backends: usable, how } });
    const [pollerFds] = await once(w, 'message') as [number[]];
    assert.equal(pollerFds.length, 1 + usable.length + (how === 'terminate' ? 1 : 0));
    if (how === 'terminate') void w.terminate();
    const [code] = await once(w, 'exit') as [number];
    assert.equal(code, how === 'terminate' ? 1 : 0);
    assert.deepEqual(fdsOpenedSince(before), [], 'descriptors the worker left open');
  });
}
