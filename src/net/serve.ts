// A handler-style server on a Listener: the leanest way to serve many
// connections. Where `for await (const conn of ln) serve(conn)` parks an
// async frame and a buffer per connection, serve() keeps per connection only
// its PollDesc, one small ServeConn and one pending readiness wait; the
// bytes go through one scratch buffer shared by all (serve-conn.ts).
import type { Accepted } from '../fd/fd.ts';
import { debug } from '../netpoll/debug.ts';
import { close as sysClose } from '../sys/libc.ts';
import { own } from '../sys/thread-end.ts';
import { OpError, isClosedError } from './errors.ts';
import { ServeConn, type ServeContext, type ServeHandler } from './serve-conn.ts';
import { packPeer } from './peer.ts';
import { applySocketOptions, boundToOne, socketOptions } from './sock.ts';
import type { Listener } from './listener.ts';
import { servers, type ServerStatsSource } from '../netpoll/stats.ts';
import { serverConn } from '../netpoll/channels.ts';
import { optionsBag, signalArg } from '../sys/args.ts';

export { ServeConn, SCRATCH_SIZE, type ServeHandler } from './serve-conn.ts';

export interface ServeOptions {
  /** Aborting stops accepting and closes the listener; connections already accepted go on. */
  signal?: AbortSignal | undefined;
  /**
   * Idle timeout, Go style: each time a connection goes back to waiting for
   * data its read deadline is set this many ms ahead; past it onError gets
   * ETIMEDOUT and the connection closes. 0 (default): none.
   */
  readDeadlineMs?: number | undefined;
  /** Keep a connection open after the peer's EOF until the handler ends or closes it (default false, as node:net). */
  allowHalfOpen?: boolean | undefined;
  /** Stop reading from a connection while more than this many written bytes wait for the kernel (default 1 MiB). */
  highWaterMark?: number | undefined;
}

/**
 * Accept errors retried besides the temporary ones (OpError.temporary: a
 * deadline, EINTR, EMFILE, ENFILE, ECONNRESET/ECONNABORTED), which Go's
 * http.Server backs off on ("if ne, ok := err.(net.Error); ok && ne.Temporary()").
 */
const ALSO_TEMPORARY: ReadonlySet<string> = new Set(['ENOBUFS', 'ENOMEM', 'EPERM']);

/**
 * Serves every connection the listener accepts with `handler`. Resolves when
 * the listener is closed (by close(), or by aborting `signal`); rejects with
 * an OpError if accept fails for good, after closing the listener.
 */
export async function serve(listener: Listener, handler: ServeHandler, options?: ServeOptions): Promise<void> {
  const opts = optionsBag(options, 'serve');
  if (handler === null || typeof handler !== 'object' || typeof handler.onData !== 'function') {
    throw new TypeError('netpoll: serve needs a handler object with an onData method');
  }
  const readDeadlineMs = opts.readDeadlineMs ?? 0;
  if (!Number.isFinite(readDeadlineMs) || readDeadlineMs < 0) {
    throw new RangeError(`netpoll: readDeadlineMs must be >= 0, got ${String(readDeadlineMs)}`);
  }
  const highWaterMark = opts.highWaterMark ?? 1 << 20;
  if (!(highWaterMark >= 0)) throw new RangeError(`netpoll: highWaterMark must be >= 0, got ${String(highWaterMark)}`);

  const addr = listener.addr;
  // The listener's options, checked again here: a Listener made by hand never went through listen().
  const so = socketOptions(listener.noDelay, listener.keepAlive);
  const ctx: ServeContext = {
    np: listener.netpoll,
    h: handler,
    network: listener.network,
    local: boundToOne(addr) ? addr : null,
    readDeadlineMs,
    allowHalfOpen: opts.allowHalfOpen ?? false,
    highWaterMark,
    open: new Set(),
  };
  const stats: ServerStatsSource = {
    address: addr.toString(),
    connections: () => ctx.open.size,
    bytesBuffered: () => { let n = 0; for (const c of ctx.open) n += c.bufferedAmount; return n; },
  };
  servers.add(stats);
  const tcp = listener.network !== 'unix';

  const signal = signalArg(opts.signal);
  const stop = (): void => {
    if (!listener.closed) void listener.close();
  };
  if (signal !== undefined) {
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  }
  let backoff = 0;
  try {
    for (;;) {
      let got: Accepted;
      try {
        got = await listener.fd.accept();
        backoff = 0;
      } catch (e) {
        if (listener.closed || isClosedError(e)) return;
        listener.stats.acceptErrors++;
        // Backs off 5 ms doubling to 1 s, and tells listener.onAcceptError; a close ends the pause.
        const delay = listener.acceptRetryDelay(e, backoff, ALSO_TEMPORARY);
        if (delay >= 0) {
          backoff = delay;
          debug('net: serve: accept: %o; retrying in %d ms', e, delay);
          await listener.pauseAccepting(delay);
          if (listener.closed) return;
          continue;
        }
        stop();
        throw new OpError({ op: 'accept', net: listener.network, source: addr, cause: e });
      }
      listener.stats.accepted++;
      if (tcp) applySocketOptions(got.sysfd, so);
      open(ctx, got);
    }
  } finally {
    servers.delete(stats);
    signal?.removeEventListener('abort', stop);
  }
}

function open(ctx: ServeContext, got: Accepted): void {
  let pd;
  try {
    pd = ctx.np.open(got.sysfd);
  } catch (e) {
    debug('net: serve: cannot poll accepted fd %d: %o', got.sysfd, e);
    sysClose(got.sysfd);
    return;
  }
  own(got.sysfd); // released by the connection (io.ts release), or at a worker thread's end
  const sc = new ServeConn(ctx, got.sysfd, pd, packPeer(got.sockaddr));
  if (serverConn.hasSubscribers) serverConn.publish({ conn: sc });
  sc.start();
}
