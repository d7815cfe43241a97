// A listening socket (Go's net.Listener). accept() takes a pending
// connection straight from the kernel and parks only when none is left, so
// a burst is admitted at once.
import { unlinkSync } from 'node:fs';
import type { FD } from '../fd/fd.ts';
import { rawConnOf, type RawConn } from '../fd/raw-conn.ts';
import { Netpoll } from '../netpoll/netpoll.ts';
import { NetClosingError } from '../netpoll/errors.ts';
import type { DeadlineInput } from '../netpoll/deadline.ts';
import { debug } from '../netpoll/debug.ts';
import { Addr, type Network } from './addr.ts';
import { Conn } from './conn.ts';
import { OpError, isClosedError, wrapError } from './errors.ts';
import { adoptSocket, dupForDetach, type AdoptOptions } from './file.ts';
import { packPeer } from './peer.ts';
import { applySocketOptions, boundToOne, newFD } from './sock.ts';
import { ListenerStats, listeners as openListeners } from '../netpoll/stats.ts';

export interface ListenerInit {
  netpoll: Netpoll;
  /** Set TCP_NODELAY on accepted connections (default true, as Go). */
  noDelay?: boolean | undefined;
  /** Keep-alive period for accepted TCP connections in ms; 0 or less turns it off (default 15 s, as Go). */
  keepAlive?: number | undefined;
  /** A Unix socket file to remove on close (Go's unlinkOnClose). */
  unlinkPath?: string | null | undefined;
  /** See Listener.onAcceptError. */
  onAcceptError?: AcceptErrorHook | null | undefined;
}

/** Told of a temporary accept error that `for await` rides out: the error, and the pause before the next try. */
export type AcceptErrorHook = (err: OpError, retryInMs: number) => void;

/** Go's servers: the first pause after a temporary accept error, doubled per error in a row up to the last. */
const ACCEPT_RETRY_FIRST_MS = 5;
const ACCEPT_RETRY_MAX_MS = 1000;

export class Listener implements AsyncIterable<Conn>, AsyncDisposable {
  /** The address it listens on (with the port the kernel chose for port 0). */
  readonly addr: Addr;
  readonly network: Network;
  readonly fd: FD;
  private isClosed = false;
  /** The Netpoll its connections register with. */
  readonly netpoll: Netpoll;
  /** TCP_NODELAY on accepted connections. */
  readonly noDelay: boolean;
  /** Keep-alive period of accepted TCP connections in ms (0: off). */
  readonly keepAlive: number;
  /**
   * Called when `for await (const conn of listener)` meets a temporary
   * accept error (EMFILE, ENFILE, a deadline…: OpError.temporary) and backs
   * off before trying again, 5 ms doubling to 1 s as Go's servers do. With
   * none set, the first error of each run is a process warning
   * (NetpollWarning, code NETPOLL_ACCEPT_RETRY), as Go's http.Server logs
   * "Accept error: …; retrying in …". accept() itself never retries.
   *
   * @example ln.onAcceptError = (e, ms) => console.error(`${e.message}; retrying in ${ms} ms`);
   */
  onAcceptError: AcceptErrorHook | null;
  private readonly unlinkPath: string | null;
  private readonly specific: boolean;
  /** Connections accepted and accept errors, for netpoll/node's stats(). */
  readonly stats: ListenerStats;
  /** Ends a backoff pause early when the listener closes. */
  private wakeBackoff: (() => void) | null = null;

  constructor(fd: FD, network: Network, addr: Addr, init: ListenerInit) {
    this.fd = fd;
    this.network = network;
    this.addr = addr;
    this.netpoll = init.netpoll;
    this.noDelay = init.noDelay ?? true;
    this.keepAlive = init.keepAlive ?? 15_000;
    this.unlinkPath = init.unlinkPath ?? null;
    this.onAcceptError = init.onAcceptError ?? null;
    this.specific = boundToOne(addr);
    openListeners.add(this.stats = new ListenerStats(addr.toString()));
  }

  /**
   * Adopts a listening TCP or Unix stream socket (Go's net.FileListener):
   * an inherited one (systemdListeners), or one another thread detached.
   * Ownership as Conn.fromFd: the Listener owns the descriptor unless
   * `dup: true`. A pipe (ENOTSOCK), a connected or datagram socket
   * (SocketKindError) is refused with an OpError.
   *
   * @example
   * const ln = Listener.fromFd(3);      // the socket a supervisor passed as fd 3
   * for await (const conn of ln) void handle(conn);
   */
  static fromFd(fd: number, opts: AdoptOptions & { netpoll?: Netpoll; noDelay?: boolean; keepAlive?: number } = {}): Listener {
    const a = adoptSocket(fd, 'listener', opts);
    const netpoll = Netpoll.of(opts.netpoll);
    try {
      return new Listener(newFD(a.sysfd, netpoll), a.network as Network, a.local, { netpoll, noDelay: opts.noDelay, keepAlive: opts.keepAlive });
    } catch (e) {
      throw new OpError({ op: 'file', net: 'file+net', cause: e });
    }
  }

  get closed(): boolean { return this.isClosed; }

  /** Go's SyscallConn on a listener: your own system calls on the listening socket. */
  syscallConn(): RawConn {
    return rawConnOf(this.fd, (op, e, signal) => this.wrap(op, e, signal));
  }

  /**
   * Stops accepting here and hands the listening socket on (Listener.fromFd
   * elsewhere): resolves with a close-on-exec duplicate of it; a parked
   * accept fails with the closed error. A Unix socket's file stays.
   */
  async detach(): Promise<number> {
    if (this.isClosed) throw new OpError({ op: 'detach', net: this.network, source: this.addr, cause: new NetClosingError() });
    let fd: number;
    try {
      fd = this.fd.rawControl(dupForDetach);
    } catch (e) {
      throw this.wrap('detach', e);
    }
    this.isClosed = true;
    openListeners.delete(this.stats);
    await this.fd.close().catch((e: unknown) => { debug('net: close detached listener fd: %o', e); });
    return fd;
  }

  private wrap(op: string, e: unknown, signal?: AbortSignal): unknown {
    return wrapError(e, { op, net: this.network, source: this.addr }, signal);
  }

  /** The next connection; fails with the closed error once close() is called, ETIMEDOUT past the deadline. */
  async accept(signal?: AbortSignal): Promise<Conn> {
    let got: { sysfd: number; sockaddr: Uint8Array };
    try {
      got = await this.fd.accept(signal);
    } catch (e) {
      if (!this.isClosed) this.stats.acceptErrors++;
      throw this.wrap('accept', e, signal);
    }
    this.stats.accepted++;
    try {
      return this.newConn(got.sysfd, got.sockaddr);
    } catch (e) {
      throw this.wrap('accept', e);
    }
  }

  private newConn(sysfd: number, sockaddr: Uint8Array): Conn {
    const fd = newFD(sysfd, this.netpoll);
    try {
      if (this.network !== 'unix') applySocketOptions(sysfd, this);
      // Bound to one address, the listener's own is every connection's local one;
      // a wildcard listener's connections ask getsockname when someone wants it.
      const local = this.specific ? this.addr : null;
      return new Conn(fd, this.network, local, packPeer(sockaddr));
    } catch (e) {
      void fd.close().catch(() => {});
      throw e;
    }
  }

  /** Deadline for accept(): a Date or epoch ms; null or 0 clears. */
  setDeadline(d: DeadlineInput): void {
    if (this.isClosed) throw new OpError({ op: 'set', net: this.network, source: this.addr, cause: new NetClosingError() });
    try {
      this.fd.setDeadline(d ?? null);
    } catch (e) {
      throw this.wrap('set', e);
    }
  }

  /**
   * Stops listening: a parked accept() fails with the closed error. A Unix
   * socket file this listener made is removed. A second close throws.
   */
  close(): Promise<void> {
    if (this.isClosed) throw new OpError({ op: 'close', net: this.network, source: this.addr, cause: new NetClosingError() });
    this.isClosed = true;
    openListeners.delete(this.stats);
    this.wakeBackoff?.();
    if (this.unlinkPath !== null) {
      try { unlinkSync(this.unlinkPath); } catch { /* already gone */ }
    }
    return this.fd.close().catch((e: unknown) => { debug('net: close listener fd %d: %o', this.fd.sysfd, e); });
  }

  /**
   * Accepts until the listener is closed (then ends); breaking out leaves
   * the listener open. A temporary accept error (a full descriptor table, a
   * deadline) does not end it: as Go's servers do ("if ne, ok :=
   * err.(net.Error); ok && ne.Temporary()"), it pauses 5 ms, doubling to 1 s
   * while errors go on, tells onAcceptError, and tries again. Any other
   * error ends it with that error.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Conn, void, undefined> {
    let tempDelay = 0;
    for (;;) {
      let conn: Conn;
      try {
        conn = await this.accept();
      } catch (e) {
        if (isClosedError(e)) return;
        tempDelay = this.acceptRetryDelay(e, tempDelay);
        if (tempDelay < 0) throw e;
        await this.pauseAccepting(tempDelay);
        if (this.isClosed) return;
        continue;
      }
      tempDelay = 0;
      yield conn;
    }
  }

  /**
   * @internal For accept loops (for await, serve()): after accept failed
   * with e, the pause before the next try — 5 ms, then double the last one
   * (tempDelay), at most 1 s — or -1 when e is not temporary. Tells
   * onAcceptError (or warns). `alsoTemporary`: errno names the caller
   * retries too.
   */
  acceptRetryDelay(e: unknown, tempDelay: number, alsoTemporary?: ReadonlySet<string>): number {
    const err = e instanceof OpError ? e : this.wrap('accept', e);
    if (!(err instanceof OpError) || !(err.temporary || alsoTemporary?.has(err.code) === true)) return -1;
    const delay = tempDelay <= 0 ? ACCEPT_RETRY_FIRST_MS : Math.min(tempDelay * 2, ACCEPT_RETRY_MAX_MS);
    const hook = this.onAcceptError;
    if (hook !== null) hook(err, delay);   // a hook that throws ends the loop with its error
    else if (tempDelay <= 0) process.emitWarning(`${err.message}; retrying in ${delay} ms`, { type: 'NetpollWarning', code: 'NETPOLL_ACCEPT_RETRY' });
    return delay;
  }

  /** @internal Sleeps ms, or until close(). */
  pauseAccepting(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void { clearTimeout(t); resolve(); }
      this.wakeBackoff = done;
    }).finally(() => { this.wakeBackoff = null; });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.isClosed) await this.close();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Listener<${this.network} ${this.addr.toString()}${this.isClosed ? ' closed' : ''}>`;
  }
}
