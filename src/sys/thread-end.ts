// Descriptors are the process's, not the thread's. A worker thread that
// ends with worker.terminate() runs no JavaScript again, so nothing of ours
// can close what it held: its sockets would stay open (peers never see the
// end) and its poller's descriptors would leak. Node's environment cleanup
// hooks still run then (they are how native addons free their resources),
// so each descriptor a worker's netpoll owns gets one: libc's close itself,
// called with the descriptor as its argument. The hook is taken back just
// before netpoll closes the descriptor, or hands it over, itself. The main
// thread registers nothing: its descriptors end with the process.
import { isMainThread } from 'node:worker_threads';
import { libc } from './libc-handle.ts';
import { close } from './libc.ts';

type Call = (...args: unknown[]) => unknown;

interface Hooks {
  isolate: unknown;
  close: unknown;
  add: Call;
  remove: Call;
}

let hooks: Hooks | null | undefined;
/** Descriptor → how many owners asked (a hook per descriptor: Node refuses the same hook twice). */
const owned = new Map<number, number>();

// node::AddEnvironmentCleanupHook / RemoveEnvironmentCleanupHook (node.h),
// and v8::Isolate::GetCurrent, by their Itanium C++ names (Linux, macOS and
// the BSDs alike).
const ADD = '_ZN4node25AddEnvironmentCleanupHookEPN2v87IsolateEPFvPvES3_';
const REMOVE = '_ZN4node28RemoveEnvironmentCleanupHookEPN2v87IsolateEPFvPvES3_';
const GET_ISOLATE = '_ZN2v87Isolate10GetCurrentEv';

function bind(): Hooks | null {
  if (hooks !== undefined) return hooks;
  hooks = null;
  if (isMainThread) return null;
  try {
    const dlopen = libc.func('void *dlopen(const char *file, int mode)') as Call;
    const dlsym = libc.func('void *dlsym(void *handle, const char *name)') as Call;
    const self = dlopen(null, 1 /* RTLD_LAZY */);
    const close = self === null ? null : dlsym(self, 'close');
    const isolate = (libc.func(`void *${GET_ISOLATE}(void)`) as Call)();
    if (close === null || isolate === null) return null;
    hooks = {
      isolate,
      close,
      add: libc.func(`void ${ADD}(void *isolate, void *fun, intptr_t arg)`) as Call,
      remove: libc.func(`void ${REMOVE}(void *isolate, void *fun, intptr_t arg)`) as Call,
    };
  } catch {
    hooks = null; // a runtime without these symbols: descriptors outlive a terminated worker, as before
  }
  return hooks;
}

/**
 * This thread owns fd from now on: in a worker thread, Node closes it when
 * the thread's environment is torn down, unless disown(fd) came first.
 * Nothing on the main thread, or for a negative fd (a failed call's
 * -errno); returns fd.
 *
 * @example
 * const efd = own(sys.eventfd(0, flags));   // -errno passes through
 * closeOwned(efd);                          // disown, then close(2)
 */
export function own(fd: number): number {
  if (isMainThread || fd < 0) return fd;
  const h = bind();
  if (h === null) return fd;
  const n = owned.get(fd) ?? 0;
  if (n === 0) h.add(h.isolate, h.close, fd);
  owned.set(fd, n + 1);
  return fd;
}

/** Takes back what own(fd) arranged: call it before closing fd or handing it over. */
export function disown(fd: number): void {
  if (isMainThread || hooks == null) return;
  const n = owned.get(fd);
  if (n === undefined) return;
  if (n > 1) { owned.set(fd, n - 1); return; }
  owned.delete(fd);
  hooks.remove(hooks.isolate, hooks.close, fd);
}

/** disown(fd), then close(2): close's 0 or -errno. */
export function closeOwned(fd: number): number {
  disown(fd);
  return close(fd);
}
