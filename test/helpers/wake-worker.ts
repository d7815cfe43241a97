// A worker thread that wakes a poller from outside its thread: it waits
// `delayMs`, then calls wake() `count` times through wakerFrom().
import { parentPort, workerData } from 'node:worker_threads';
import { wakerFrom } from '../../src/poller/waker.ts';
import type { WakerHandle } from '../../src/poller/types.ts';

const { handle, delayMs, count } = workerData as { handle: WakerHandle; delayMs: number; count: number };
const waker = wakerFrom(handle);
parentPort!.postMessage('ready');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayMs);
for (let i = 0; i < count; i++) waker.wake();
parentPort!.postMessage('woke');
