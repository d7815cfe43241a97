// When the next timer of Node's loop is due, so that a busy turn of
// operations (budget.ts) ends in time for it instead of after a fixed slice.
//
// libuv's own answer, uv_backend_timeout(), is 0 whenever an idle handle is
// active, and Node keeps one active while any setImmediate is queued: the
// budget's own deferred turn would hide every timer. Node runs every
// JavaScript timer (setTimeout, setInterval, referenced or not) from one
// libuv timer of its own, which lives as long as the thread's environment:
// that handle is found once and asked directly (uv_is_active,
// uv_timer_get_due_in). Only that one: any other timer handle on the loop
// (a DNS resolver's, an addon's) may be closed and freed at any time, and
// asking a freed handle reads freed memory.
//
// Main thread only: in a worker, uv_default_loop() is the main thread's
// loop, not the worker's (as uv-poll.ts notes). Where the handle cannot be
// seen, the budget uses a short fixed slice (BLIND_SLICE_MS).
import koffi from 'koffi';
import { isMainThread } from 'node:worker_threads';
import { libc } from '../sys/libc-handle.ts';

const UV_TIMER = 13; // uv_handle_type

type Num = (...args: unknown[]) => number;

interface Timers {
  /** Node's own timer handle. */
  handle: number;
  isActive: Num;
  dueIn: Num;
  uvNow: Num;
  loop: unknown;
  /** uv_now()'s clock (ms since an arbitrary origin) minus performance.now(): the same monotonic clock. */
  offset: number;
}

let bound: Timers | null | undefined;

function bind(): Timers | null {
  if (bound !== undefined) return bound;
  bound = null;
  if (!isMainThread) return null;
  try {
    const f = <T>(proto: string): T => libc.func(proto) as T;
    const loop = f<() => unknown>('void *uv_default_loop(void)')();
    const walkCb = koffi.proto('void netpoll_uv_walk_cb(intptr_t handle, void *arg)');
    const walk = f<(loop: unknown, cb: unknown, arg: null) => void>('void uv_walk(void *loop, netpoll_uv_walk_cb *cb, void *arg)');
    const typeOf = f<Num>('int uv_handle_get_type(intptr_t handle)');
    const candidates: number[] = [];
    const cb = koffi.register((h: number) => { if (typeOf(h) === UV_TIMER) candidates.push(h); }, koffi.pointer(walkCb));
    try { walk(loop, cb, null); } finally { koffi.unregister(cb); }
    const isActive = f<Num>('int uv_is_active(intptr_t handle)');
    const dueIn = f<Num>('uint64_t uv_timer_get_due_in(intptr_t handle)');
    // Node's handle is the one a new 1 ms setTimeout arms (Node reschedules
    // it at once when a new timer expires sooner than the armed one). Two
    // handles due that soon cannot be told apart: then none is used.
    const probe = setTimeout(() => undefined, 1);
    const nodes = candidates.filter((h) => isActive(h) !== 0 && dueIn(h) <= 1);
    clearTimeout(probe);
    if (nodes.length !== 1) return null;
    bound = {
      handle: nodes[0]!,
      loop,
      isActive,
      dueIn,
      uvNow: f<Num>('uint64_t uv_now(void *loop)'),
      offset: Number(process.hrtime.bigint()) / 1e6 - performance.now(),
    };
  } catch {
    bound = null; // a Node without libuv's symbols exported: the fixed slice applies
  }
  return bound;
}

/**
 * Milliseconds from `now` (a performance.now() reading) until the loop's
 * next timer is due: ≤ 0 when one is already due, Infinity when none is
 * armed, NaN when this thread cannot tell (a worker thread, or Node's
 * handle could not be told apart from another).
 */
export function msUntilNextTimer(now: number): number {
  const t = bind();
  if (t === null) return NaN;
  if (t.isActive(t.handle) === 0) return Infinity;
  // uv_timer_get_due_in counts from the loop's cached time (uv_now), not from now.
  return t.uvNow(t.loop) + t.dueIn(t.handle) - (now + t.offset);
}

/** Whether msUntilNextTimer() can see the loop's timers on this thread (for tests and the bench). */
export function seesLoopTimers(): boolean {
  return bind() !== null;
}
