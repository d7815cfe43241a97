// Worker side of the wake/shutdown race: wakes poller number ctl[0] as fast
// as it can while the main thread shuts the pollers down one by one and
// hands their descriptor numbers to new pipes. Counts the wakes that threw.
import { parentPort, workerData } from 'node:worker_threads';
import { wakerFrom } from '../../src/poller/waker.ts';
import type { WakerHandle } from '../../src/poller/types.ts';

const { handles, ctl } = workerData as { handles: WakerHandle[]; ctl: SharedArrayBuffer };
const c = new Int32Array(ctl);
const wakers = handles.map(wakerFrom);
let firstError = '';
parentPort!.postMessage('ready');
for (let i = Atomics.load(c, 0); i < wakers.length; i = Atomics.load(c, 0)) {
  try {
    wakers[i]!.wake();
  } catch (e) {
    Atomics.add(c, 1, 1);
    firstError ||= String(e);
  }
}
parentPort!.postMessage({ firstError });
