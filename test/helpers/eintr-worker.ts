// Worker side of the EINTR test: reports its kernel thread id, then blocks
// in poll() on a poller of its own and reports what the poll returned.
import { parentPort, workerData } from 'node:worker_threads';
import { createPoller } from '../../src/poller/index.ts';
import { libc } from '../../src/sys/libc-handle.ts';

const SYS_gettid = process.arch === 'arm64' ? 178 : 186;
const syscall = libc.func('long syscall(long number)') as (n: number) => number;
const { backend, delayNs } = workerData as { backend: 'epoll' | 'kqueue'; delayNs: number };
const p = createPoller({ backend });
parentPort!.postMessage({ tid: syscall(SYS_gettid), waker: p.waker() });
const t0 = performance.now();
const n = p.poll(delayNs, () => {});
parentPort!.postMessage({ n, ms: performance.now() - t0 });
p.shutdown();
