// The other thread's side of wake(): same CAS on the shared wake signal,
// then the kernel wake the handle names. Loads libc in the calling thread.
import { C } from '../sys/constants.ts';
import { KeventBuffer } from '../sys/kevent-layout.ts';
import { kernelKqueue, write } from '../sys/libc.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import type { WakerHandle } from './types.ts';
import { WakeSignal } from './wake-signal.ts';

export interface Waker { wake(): void; }

export function wakerFrom(handle: WakerHandle): Waker {
  if (!handle || !(handle.sig instanceof SharedArrayBuffer)) {
    throw new TypeError('netpoll: wakerFrom needs the handle poller.waker() returned');
  }
  const sig = new WakeSignal(handle.sig);
  const kernelWake = kernelWakeFor(handle);
  return { wake() { if (sig.claim()) kernelWake(); } };
}

function kernelWakeFor(handle: WakerHandle): () => void {
  switch (handle.kind) {
    case 'eventfd': {
      const one = new Uint8Array(new BigUint64Array([1n]).buffer);
      return () => retryWrite(handle.fd, one);
    }
    case 'pipe': {
      const byte = new Uint8Array(1);
      return () => retryWrite(handle.fd, byte);
    }
    case 'kevent-user': {
      if (!kernelKqueue) throw new Error('netpoll: kevent waker handle on a platform without kqueue');
      const kq = kernelKqueue;
      const change = new KeventBuffer(1);
      change.set(0, handle.ident, C.EVFILT_USER, 0, C.NOTE_TRIGGER, 0, 0);
      return () => {
        for (;;) {
          const r = kq.kevent(handle.kq, change.bytes, 1, null, 0, null);
          if (r >= 0) return;
          if (r !== -C.EINTR) throw new SyscallError('kevent', -r);
        }
      };
    }
    default:
      throw new TypeError(`netpoll: unknown waker handle kind ${String((handle as { kind: unknown }).kind)}`);
  }
}

function retryWrite(fd: number, buf: Uint8Array): void {
  for (;;) {
    const n = write(fd, buf, buf.length);
    if (n >= 0 || n === -C.EAGAIN) return; // EAGAIN: a wake is already pending
    if (n !== -C.EINTR) throw new SyscallError('write', -n);
  }
}
