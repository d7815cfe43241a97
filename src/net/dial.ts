// dial(network, address): Go's net.Dialer for tcp, tcp4, tcp6 and unix.
// The dial deadline becomes the socket's write deadline while connect(2)
// completes (Go's netFD.connect), then is cleared; an abort signal cancels
// the wait. On any failure the socket is closed.
import type { FD } from '../fd/fd.ts';
import { Netpoll } from '../netpoll/netpoll.ts';
import { dialTrace } from '../netpoll/channels.ts';
import { atMonotonic, MonotonicDate, now } from '../netpoll/deadline.ts';
import { DeadlineExceededError } from '../netpoll/errors.ts';
import { close as closeRaw } from '../sys/libc.ts';
import { decodeSockaddr, encodeSockaddr } from '../sys/sockaddr.ts';
import { Addr, AddrError, checkNetwork, parseLocalAddress, resolveTCPAddrs, resolveUnixAddr, type LookupFunction, type Network } from './addr.ts';
import { Conn } from './conn.ts';
import { OpError } from './errors.ts';
import { parseIP } from './ip.ts';
import { applySocketOptions, bindTo, favoriteFamily, newFD, socketOptions, sysSocket, type SocketOptions } from './sock.ts';
import { checkControl, controlNetwork, type ControlFn } from './control.ts';
import { optionsBag, signalArg } from '../sys/args.ts';

export interface DialOptions {
  /**
   * Milliseconds for the whole dial (name lookup included). 0 (or
   * Infinity) means none; a negative timeout has already expired and the
   * dial fails with a timeout, as in Go ("including negative").
   */
  timeout?: number;
  /** An absolute deadline: a Date or epoch milliseconds. The earlier of timeout and deadline wins. */
  deadline?: number | Date;
  /** Cancels the dial; it then rejects with the signal's reason. Aborting after dial() resolved has no effect. */
  signal?: AbortSignal;
  /** Bind to this local address first: "ip:port", a bare IP, or a Unix path. */
  localAddress?: string;
  /** TCP_NODELAY, on by default as in Go. */
  noDelay?: boolean;
  /** Keep-alive period in ms; 0 or less turns it off (default 15 s, as Go); more than 32767 s is a RangeError. */
  keepAlive?: number;
  /**
   * The name lookup to use instead of the system's (Go's Dialer.Resolver,
   * Node's `lookup` option), shaped like node:dns/promises lookup().
   *
   * @example dial('tcp', 'db:5432', { lookup: async () => [{ address: '10.0.0.7', family: 4 }] })
   */
  lookup?: LookupFunction;
  /** The Netpoll to register with; default Netpoll.current(). */
  netpoll?: Netpoll;
  /** Go's Dialer.Control: runs on the raw socket after socket(2), before bind(2) and connect(2). */
  control?: ControlFn;
  /** @internal Told each descriptor before it connects (a connecting NodeSocket's ref/unref reach it). */
  onFD?: (fd: FD) => void;
}

/** Go's partialDeadline: a share of what is left for each address still to try, at least 2 s. Monotonic ms; null: none. */
function partialDeadline(deadline: number | null, remaining: number): number | null {
  if (deadline === null) return null;
  const t = now();
  const left = deadline - t;
  if (left <= 0) throw new DeadlineExceededError();
  let share = left / remaining;
  // "If the time per address is too short, steal from the end of the list."
  if (share < 2000) share = left < 2000 ? left : 2000;
  return t + share;
}

/**
 * The dial's deadline on the monotonic clock, or null for none. Computed
 * once from one clock reading: a timeout never passes through whole epoch
 * milliseconds, so the dial cannot give up before it.
 */
function dialDeadline(opts: DialOptions): number | null {
  const t = now();
  let d: number | null = null;
  const { timeout } = opts;
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || Number.isNaN(timeout)) throw new TypeError('netpoll: timeout must be milliseconds');
    // Go: "if d.Timeout != 0 { // including negative, for historical reasons".
    if (timeout !== 0 && timeout !== Infinity) d = t + timeout;
  }
  if (opts.deadline !== undefined && opts.deadline !== null) {
    const abs = opts.deadline instanceof Date ? opts.deadline.getTime() : opts.deadline;
    if (typeof abs !== 'number' || Number.isNaN(abs)) throw new TypeError('netpoll: deadline must be a Date or epoch milliseconds');
    if (abs !== 0) {
      const m = t + (abs - Date.now());
      d = d === null ? m : Math.min(d, m);
    }
  }
  return d;
}

/** Rejects with DeadlineExceededError at the deadline (for the name lookup), however far ahead it is. */
function withDeadline<T>(p: Promise<T>, deadline: number | null): Promise<T> {
  if (deadline === null) return p;
  return new Promise<T>((resolve, reject) => {
    const cancel = atMonotonic(deadline, () => reject(new DeadlineExceededError()));
    p.then(resolve, reject).finally(cancel);
  });
}

function parseLocal(net: Network, local: string): Addr {
  return net === 'unix' ? resolveUnixAddr(local) : parseLocalAddress(local, 'tcp');
}

/**
 * Connects to "host:port" (tcp: "127.0.0.1:8080", "[::1]:80",
 * "localhost:7007") or a Unix path. A name's addresses are tried in turn,
 * IPv4 first, each with a share of the time left.
 */
export function dial(network: Network, address: string, opts?: DialOptions): Promise<Conn> {
  // tracing:netpoll.dial:* for whoever subscribed; nobody listening costs one property read.
  return dialTrace.hasSubscribers ? dialTrace.tracePromise(dialUntraced, { network, address }, undefined, network, address, opts)
    : dialUntraced(network, address, opts);
}

async function dialUntraced(network: Network, address: string, options: DialOptions | undefined): Promise<Conn> {
  const opts = optionsBag(options, 'dial');
  let net: Network;
  try {
    net = checkNetwork(network);
  } catch (e) {
    throw new OpError({ op: 'dial', net: String(network), cause: e });
  }
  const signal = signalArg(opts.signal);
  signal?.throwIfAborted();
  const netpoll = Netpoll.of(opts.netpoll);
  checkControl(opts.control);
  const deadline = dialDeadline(opts);
  const so = socketOptions(opts.noDelay, opts.keepAlive);

  let raddrs: Addr[];
  let laddr: Addr | null = null;
  try {
    if (opts.localAddress !== undefined) laddr = parseLocal(net, opts.localAddress);
    if (net === 'unix') {
      const a = resolveUnixAddr(address);
      if (a.address === '') throw new AddrError('missing address', '');
      raddrs = [a];
    } else {
      const r = await withDeadline(resolveTCPAddrs(net, address, { signal, lookup: opts.lookup }), deadline);
      // An empty host dials the local system (Go dials the unspecified address, which the kernel takes as local).
      raddrs = r.addrs.length > 0 ? r.addrs
        : [Addr.tcp(net === 'tcp6' ? parseIP('::1') : Uint8Array.of(127, 0, 0, 1), r.port)];
      if (laddr?.ip) {
        // Go's filterAddrList: only addresses of the local address's family.
        const want = laddr.family;
        raddrs = raddrs.filter((a) => a.family === want);
        if (raddrs.length === 0) throw new AddrError('no suitable address found', address);
      }
    }
  } catch (e) {
    if (signal?.aborted && e === signal.reason) throw e;
    if (e instanceof TypeError) throw e;
    throw new OpError({ op: 'dial', net, source: laddr, cause: e });
  }

  // Go's dialSerial: the first address's error is the most relevant one;
  // a failed address (a timeout of its share included) moves on to the
  // next until the whole deadline is spent.
  let first: unknown = null;
  for (let i = 0; i < raddrs.length; i++) {
    const raddr = raddrs[i]!;
    if (signal?.aborted) throw signal.reason;
    let d: number | null;
    try {
      d = partialDeadline(deadline, raddrs.length - i);
    } catch (e) {
      // Ran out of time.
      first ??= new OpError({ op: 'dial', net, source: laddr, addr: raddr, cause: e });
      break;
    }
    try {
      return await dialOne(net, laddr, raddr, d, opts, netpoll, so);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (e instanceof TypeError) throw e;
      // Go's dialSingle: each attempt's error is wrapped once, here.
      first ??= new OpError({ op: 'dial', net, source: laddr, addr: raddr, cause: e });
    }
  }
  throw first;
}

/** One address (Go's dialTCP / dialUnix): the raw error on failure, the socket closed; dial() wraps it. */
async function dialOne(net: Network, laddr: Addr | null, raddr: Addr, deadline: number | null, opts: DialOptions,
                       netpoll: Netpoll, so: SocketOptions): Promise<Conn> {
  const { signal } = opts;
  const { family, ipv6only } = favoriteFamily(net, laddr, raddr, 'dial');
  const sysfd = sysSocket(family, ipv6only);
  try {
    opts.control?.(controlNetwork(net, family), raddr.toString(), sysfd);
    if (laddr) bindTo(sysfd, laddr.toSockaddr(family));
  } catch (e) {
    closeRaw(sysfd);
    throw e;
  }
  const fd = newFD(sysfd, netpoll);
  try {
    opts.onFD?.(fd);
    if (deadline !== null) fd.setWriteDeadline(new MonotonicDate(deadline));
    const { bytes, length } = encodeSockaddr(raddr.toSockaddr(family));
    await fd.connect(bytes, length, signal);
    // Go: a cancellation that raced with success still fails the dial.
    signal?.throwIfAborted();
    if (deadline !== null) fd.setWriteDeadline(null);
    if (net !== 'unix') applySocketOptions(fd.sysfd, so);
    return new Conn(fd, net, Addr.fromSockaddr(decodeSockaddr(fd.getsockname())), raddr);
  } catch (e) {
    await fd.close().catch(() => {});
    throw e;
  }
}
