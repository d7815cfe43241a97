// How the loop driver hears that the poller's descriptor is readable: a
// libuv poll handle on this thread's loop.
//
// On the main thread the handle is made here, with libuv's own functions
// (Node exports them) and a callback registered through koffi that receives
// plain numbers. koffi.node.poll does the same job but builds an event
// object with three string-keyed properties on every wake-up, a few percent
// of a round trip at one connection. In a worker thread uv_default_loop() is
// the main thread's loop, not the worker's, so workers keep koffi.node.poll
// (which finds the calling thread's loop).
import koffi, { type TypeObject } from 'koffi';
import { isMainThread } from 'node:worker_threads';
import { libc } from '../sys/libc-handle.ts';

/** A readable-watch on one descriptor; the callback gets libuv's status (< 0: failed). */
export interface LoopWatch {
  ref(): void;
  unref(): void;
  /**
   * Stops watching; no callback runs afterwards. atExit: the process is
   * exiting, so libuv gets no close callback (none may run during Node's
   * teardown); the handle's few bytes are left to the exit.
   */
  close(atExit?: boolean): void;
}

export type OnReadable = (status: number) => void;

const UV_POLL = 8; // uv_handle_type
const UV_READABLE = 1;

type Num = (...args: unknown[]) => number;
type Void = (...args: unknown[]) => void;

interface Uv {
  loop: unknown;
  size: number;
  pollCb: TypeObject;
  init: Num;
  start: Num;
  stop: Num;
  close: Void;
  ref: Void;
  unref: Void;
  malloc: Num;
  free: Void;
  /** One close callback for every handle: frees it and forgets its poll callback. */
  closeCb: bigint;
}

// Handle address → its registered poll callback, until libuv has closed it.
const closing = new Map<number, bigint>();
let uv: Uv | null | undefined;

function bind(): Uv | null {
  if (uv !== undefined) return uv;
  uv = null;
  if (!isMainThread) return null;
  try {
    const f = <T>(proto: string): T => libc.func(proto) as T;
    const pollCb = koffi.proto('void netpoll_uv_poll_cb(intptr_t handle, int status, int events)');
    const closeProto = koffi.proto('void netpoll_uv_close_cb(intptr_t handle)');
    const b: Omit<Uv, 'closeCb'> = {
      loop: f<() => unknown>('void *uv_default_loop(void)')(),
      size: f<Num>('size_t uv_handle_size(int type)')(UV_POLL),
      pollCb,
      init: f<Num>('int uv_poll_init(void *loop, intptr_t handle, int fd)'),
      start: f<Num>('int uv_poll_start(intptr_t handle, int events, netpoll_uv_poll_cb *cb)'),
      stop: f<Num>('int uv_poll_stop(intptr_t handle)'),
      close: f<Void>('void uv_close(intptr_t handle, netpoll_uv_close_cb *cb)'),
      ref: f<Void>('void uv_ref(intptr_t handle)'),
      unref: f<Void>('void uv_unref(intptr_t handle)'),
      malloc: f<Num>('intptr_t malloc(size_t size)'),
      free: f<Void>('void free(intptr_t ptr)'),
    };
    if (!(b.size > 0) || b.loop === null) return null;
    const closeCb = koffi.register((h: number) => {
      const cb = closing.get(h);
      closing.delete(h);
      if (cb !== undefined) koffi.unregister(cb);
      b.free(h);
    }, koffi.pointer(closeProto));
    uv = { ...b, closeCb };
  } catch {
    uv = null; // a Node without libuv's symbols exported: koffi.node.poll does it
  }
  return uv;
}

class UvPollWatch implements LoopWatch {
  private readonly handle: number;
  private readonly cb: bigint;
  private closed = false;

  constructor(private readonly u: Uv, fd: number, onReadable: OnReadable) {
    const h = u.malloc(u.size);
    if (h === 0) throw new Error('netpoll: out of memory for a libuv poll handle');
    let r = u.init(u.loop, h, fd);
    if (r < 0) { u.free(h); throw new Error(`netpoll: uv_poll_init failed (status ${r})`); }
    this.handle = h;
    this.cb = koffi.register((_h: number, status: number) => onReadable(status), koffi.pointer(u.pollCb));
    r = u.start(h, UV_READABLE, this.cb);
    if (r < 0) { this.close(); throw new Error(`netpoll: uv_poll_start failed (status ${r})`); }
  }

  ref(): void { if (!this.closed) this.u.ref(this.handle); }
  unref(): void { if (!this.closed) this.u.unref(this.handle); }

  close(atExit = false): void {
    if (this.closed) return;
    this.closed = true;
    this.u.stop(this.handle);
    if (atExit) { this.u.close(this.handle, null); return; }
    // The memory and the callback stay until libuv says the handle is closed.
    closing.set(this.handle, this.cb);
    this.u.close(this.handle, this.u.closeCb);
  }
}

class KoffiPollWatch implements LoopWatch {
  // Kept reachable for the watch's whole life: koffi's finalizer closes a collected handle.
  private readonly handle: ReturnType<typeof koffi.node.poll>;
  private closed = false;

  constructor(fd: number, onReadable: OnReadable) {
    // koffi's typings say cb(ev); it calls cb(status, ev).
    this.handle = koffi.node.poll(fd, { readable: true }, onReadable as never);
  }

  ref(): void { if (!this.closed) this.handle.ref(); }
  unref(): void { if (!this.closed) this.handle.unref(); }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.stop();
    this.handle.close();
  }
}

/**
 * Watches fd for readability on this thread's libuv loop, referenced (call
 * unref() for a watch that must not hold the process open).
 */
export function watchReadable(fd: number, onReadable: OnReadable): LoopWatch {
  const u = bind();
  return u !== null ? new UvPollWatch(u, fd, onReadable) : new KoffiPollWatch(fd, onReadable);
}

/** Which mechanism watchReadable() uses on this thread (for tests and the bench). */
export function loopWatchKind(): 'uv' | 'koffi' {
  return bind() !== null ? 'uv' : 'koffi';
}
