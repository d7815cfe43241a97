// The one interface both platform pollers implement (Go's seven-function
// platform contract, runtime/netpoll_*.go).

/** 'r' read, 'w' write, 'rw' both. */
export type Mode = 'r' | 'w' | 'rw';
export type Backend = 'epoll' | 'kqueue';
export type BackendChoice = Backend | 'auto';

/**
 * Called once per ready (descriptor, mode); eventErr is Go's pd.setEventErr
 * bit. readEnd: the event also says the peer closed its side, the
 * descriptor failed or urgent data waits (EPOLLRDHUP, EPOLLHUP, EPOLLERR,
 * EPOLLPRI; always true on kqueue): from then on a short read no longer
 * tells that the read side is drained.
 */
export type ReadyCallback = (token: number, mode: Mode, eventErr: boolean, readEnd: boolean) => void;

/**
 * What another thread needs to wake a poller: plain numbers and a
 * SharedArrayBuffer, so it survives postMessage / workerData.
 */
export type WakerHandle =
  | { readonly kind: 'eventfd'; readonly fd: number; readonly sig: SharedArrayBuffer }
  | { readonly kind: 'pipe'; readonly fd: number; readonly sig: SharedArrayBuffer }
  | { readonly kind: 'kevent-user'; readonly kq: number; readonly ident: number; readonly sig: SharedArrayBuffer };

export interface Poller {
  readonly backend: Backend;
  /** The poller's own descriptor (Go's kq / epfd); pollable, so Node's loop can watch it. */
  readonly fd: number;
  /** Events harvested per poll() at most (Go: 128 on epoll, 64 on kqueue). */
  readonly batch: number;
  /** True after shutdown(). */
  readonly closed: boolean;
  /** netpollIsPollDescriptor: a comparison, no system call. */
  isPollDescriptor(fd: number): boolean;
  /** netpollopen: edge-triggered read and write interest for the fd's whole life. */
  open(fd: number, token: number): void;
  /** netpollclose: must run before the fd itself is closed. */
  close(fd: number): void;
  /** netpollarm: only level-triggered ports need it; throws, as Go does. */
  arm(token: number, mode: Mode): never;
  /** netpollBreak: wake a poll() blocked in the kernel; deduplicated by the wake signal. */
  wake(): void;
  /** A handle another thread passes to wakerFrom() to wake this poller. */
  waker(): WakerHandle;
  /**
   * netpoll(delay): < 0 blocks, 0 polls, > 0 waits at most delayNs nanoseconds.
   * Returns how many readiness events it delivered to onReady.
   * A wake-up is consumed (and the wake signal cleared) only by a blocking
   * poll; `asBlocking` lets a caller that already waited elsewhere (the
   * driver on Node's loop, where libuv blocked for it) poll with delay 0 and
   * still count as the blocking poller.
   */
  poll(delayNs: number, onReady: ReadyCallback, asBlocking?: boolean): number;
  /** Closes the poller's descriptors; every later call throws PollerShutdownError. */
  shutdown(): void;
}
