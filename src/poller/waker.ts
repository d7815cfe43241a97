// The other thread's side of wake(): the same wake signal, then the kernel
// wake of the mechanism the handle names. Loads libc in the calling thread.
import type { WakerHandle } from './types.ts';
import { WakeSignal } from './wake-signal.ts';
import { eventfdWakeFrom } from './wakeup-eventfd.ts';
import { keventWakeFrom } from './wakeup-kevent.ts';
import { pipeWakeFrom } from './wakeup-pipe.ts';

/** Wakes one poller from any thread. */
export interface Waker { wake(): void; }

/**
 * netpollBreak from another thread: the handle comes from poller.waker()
 * (plain numbers and a SharedArrayBuffer: it survives postMessage). After
 * the poller shut down, wake() does nothing.
 *
 * @example
 * // main thread
 * worker.postMessage(poller.waker());
 * // worker thread
 * const waker = wakerFrom(handle);
 * waker.wake();
 */
export function wakerFrom(handle: WakerHandle): Waker {
  if (!handle || !(handle.sig instanceof SharedArrayBuffer)) {
    throw new TypeError('netpoll: wakerFrom needs the handle poller.waker() returned');
  }
  const sig = new WakeSignal(handle.sig);
  const kernelWake = kernelWakeFor(handle);
  return { wake() { sig.wake(kernelWake); } };
}

function kernelWakeFor(handle: WakerHandle): () => void {
  switch (handle.kind) {
    case 'eventfd': return eventfdWakeFrom(handle.fd);
    case 'pipe': return pipeWakeFrom(handle.fd);
    case 'kevent-user': return keventWakeFrom(handle.kq, handle.ident);
    default:
      throw new TypeError(`netpoll: unknown waker handle kind ${String((handle as { kind: unknown }).kind)}`);
  }
}
