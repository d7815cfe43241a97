// listen(network, address): Go's net.Listen for tcp, tcp4, tcp6 and unix.
import { Netpoll } from '../netpoll/netpoll.ts';
import { listenTrace } from '../netpoll/channels.ts';
import { C } from '../sys/constants.ts';
import { close as closeRaw } from '../sys/libc.ts';
import { IS_LINUX } from '../sys/platform.ts';
import { decodeSockaddr } from '../sys/sockaddr.ts';
import * as sock from '../sys/socket.ts';
import { Addr, AddrError, checkNetwork, resolveTCPAddrs, resolveUnixAddr, type Network } from './addr.ts';
import { OpError } from './errors.ts';
import { Listener, type AcceptErrorHook } from './listener.ts';
import { check } from '../sys/syscall-error.ts';
import { bindTo, favoriteFamily, maxListenerBacklog, newFD, socketOptions, sysSocket } from './sock.ts';
import { checkControl, controlNetwork, type ControlFn } from './control.ts';
import { optionsBag, signalArg } from '../sys/args.ts';

export interface ListenOptions {
  /** listen(2)'s backlog; default the kernel's limit (somaxconn), as Go. */
  backlog?: number;
  /** SO_REUSEPORT, so several listeners (worker threads) share one port. */
  reusePort?: boolean;
  signal?: AbortSignal;
  /** The Netpoll to register with; default Netpoll.current(). */
  netpoll?: Netpoll;
  /** TCP_NODELAY on accepted connections (default true). */
  noDelay?: boolean;
  /**
   * Keep-alive period in ms for accepted TCP connections; 0 or less turns it
   * off (default 15 s, as Go). More than 32767 s is a RangeError here, so no
   * accepted connection can fail on it.
   */
  keepAlive?: number;
  /** Go's ListenConfig.Control: runs on the raw socket after socket(2), before bind(2). */
  control?: ControlFn;
  /** Told of each temporary accept error `for await` backs off from (Listener.onAcceptError). */
  onAcceptError?: AcceptErrorHook;
}

/**
 * Listens on "host:port" (tcp: "127.0.0.1:8080", "[::1]:0", ":0",
 * "localhost:0") or a Unix path ("@name" is abstract on Linux).
 */
export function listen(network: Network, address: string, opts?: ListenOptions): Promise<Listener> {
  // tracing:netpoll.listen:* for whoever subscribed; nobody listening costs one property read.
  return listenTrace.hasSubscribers ? listenTrace.tracePromise(listenUntraced, { network, address }, undefined, network, address, opts)
    : listenUntraced(network, address, opts);
}

async function listenUntraced(network: Network, address: string, options: ListenOptions | undefined): Promise<Listener> {
  const opts = optionsBag(options, 'listen');
  let net: Network;
  try {
    net = checkNetwork(network);
  } catch (e) {
    throw new OpError({ op: 'listen', net: String(network), cause: e });
  }
  const signal = signalArg(opts.signal);
  signal?.throwIfAborted();
  const backlog = opts.backlog ?? maxListenerBacklog();
  if (!Number.isInteger(backlog) || backlog < 0) throw new RangeError(`netpoll: backlog must be a non-negative integer, got ${String(backlog)}`);
  const netpoll = Netpoll.of(opts.netpoll);
  const so = socketOptions(opts.noDelay, opts.keepAlive);
  const control = checkControl(opts.control);

  let laddr: Addr;
  try {
    if (net === 'unix') {
      laddr = resolveUnixAddr(address);
      if (laddr.address === '' && !IS_LINUX) throw new AddrError('missing address', '');
    } else {
      const r = await resolveTCPAddrs(net, address, { signal });
      // Go listens on the first IPv4 address of a name, else its first one.
      laddr = r.addrs.find((a) => a.family === 'inet4') ?? r.addrs[0] ?? Addr.tcp(null, r.port);
    }
  } catch (e) {
    if (signal?.aborted && e === signal.reason) throw e;
    if (e instanceof TypeError) throw e;
    throw new OpError({ op: 'listen', net, cause: e });
  }
  signal?.throwIfAborted();

  const { family, ipv6only } = favoriteFamily(net, laddr, null, 'listen');
  let sysfd = -1;
  try {
    sysfd = sysSocket(family, ipv6only);
    if (net !== 'unix') {
      check('setsockopt', sock.setsockoptInt(sysfd, C.SOL_SOCKET, C.SO_REUSEADDR, 1));
    }
    if (opts.reusePort) check('setsockopt', sock.setsockoptInt(sysfd, C.SOL_SOCKET, C.SO_REUSEPORT, 1));
    control?.(controlNetwork(net, family), laddr.toString(), sysfd);
    bindTo(sysfd, laddr.toSockaddr(family));
    check('listen', sock.listen(sysfd, backlog));
  } catch (e) {
    if (sysfd >= 0) closeRaw(sysfd);
    throw new OpError({ op: 'listen', net, addr: laddr, cause: e });
  }

  const fd = (() => {
    try {
      return newFD(sysfd, netpoll);
    } catch (e) {
      throw new OpError({ op: 'listen', net, addr: laddr, cause: e });
    }
  })();
  try {
    const bound = net === 'unix' && laddr.address !== '' ? laddr : Addr.fromSockaddr(decodeSockaddr(fd.getsockname()));
    const unlinkPath = net === 'unix' && laddr.address !== '' && !(IS_LINUX && laddr.address.startsWith('@')) ? laddr.address : null;
    return new Listener(fd, net, bound, { netpoll, unlinkPath, noDelay: so.noDelay, keepAlive: so.keepAlive, onAcceptError: opts.onAcceptError });
  } catch (e) {
    await fd.close().catch(() => {});
    throw new OpError({ op: 'listen', net, addr: laddr, cause: e });
  }
}
