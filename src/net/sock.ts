// Making sockets the way Go's net/sock_posix.go and ipsock_posix.go do:
// which family, which options before bind/listen/connect, and the FD that
// takes the descriptor over.
import { readFileSync } from 'node:fs';
import { FD } from '../fd/fd.ts';
import type { Netpoll } from '../netpoll/netpoll.ts';
import { C } from '../sys/constants.ts';
import { close as closeRaw } from '../sys/libc.ts';
import { IS_LINUX } from '../sys/platform.ts';
import { encodeSockaddr, type Sockaddr } from '../sys/sockaddr.ts';
import * as sock from '../sys/socket.ts';
import { check, SyscallError } from '../sys/syscall-error.ts';
import type { Addr, Network } from './addr.ts';
import { isUnspecified } from './ip.ts';

export type Family = 'inet4' | 'inet6' | 'unix';

const AF: Record<Family, number> = { inet4: C.AF_INET, inet6: C.AF_INET6, unix: C.AF_UNIX };

let ipv4MapSupport: boolean | null = null;
/** Go's supportsIPv4map: an AF_INET6 socket can take IPv4 peers (IPV6_V6ONLY off). */
export function supportsIPv4map(): boolean {
  if (ipv4MapSupport !== null) return ipv4MapSupport;
  const fd = sock.socket(C.AF_INET6, C.SOCK_STREAM);
  ipv4MapSupport = fd >= 0 && sock.setsockoptInt(fd, C.IPPROTO_IPV6, C.IPV6_V6ONLY, 0) >= 0;
  if (fd >= 0) closeRaw(fd);
  return ipv4MapSupport;
}

/**
 * Go's favoriteAddrFamily: tcp4 → AF_INET; tcp6 → AF_INET6 with
 * IPV6_V6ONLY; a wildcard listen on "tcp" → a dual-stack AF_INET6 socket;
 * otherwise AF_INET when every address given is IPv4.
 */
export function favoriteFamily(network: Network, laddr: Addr | null, raddr: Addr | null, mode: 'dial' | 'listen'): { family: Family; ipv6only: boolean } {
  if (network === 'unix') return { family: 'unix', ipv6only: false };
  if (network === 'tcp4') return { family: 'inet4', ipv6only: false };
  if (network === 'tcp6') return { family: 'inet6', ipv6only: true };
  const wildcard = (a: Addr | null): boolean => a === null || a.ip === null || isUnspecified(a.ip);
  if (mode === 'listen' && wildcard(laddr)) {
    if (supportsIPv4map()) return { family: 'inet6', ipv6only: false };
    return { family: laddr?.ip?.length === 16 ? 'inet6' : 'inet4', ipv6only: false };
  }
  const v4 = (a: Addr | null): boolean => a === null || a.ip === null || a.family === 'inet4';
  return { family: v4(laddr) && v4(raddr) ? 'inet4' : 'inet6', ipv6only: false };
}

/**
 * A non-blocking, close-on-exec stream socket with Go's default options
 * (IPV6_V6ONLY as the network asks). The caller owns the raw descriptor.
 */
export function sysSocket(family: Family, ipv6only: boolean): number {
  const fd = check('socket', sock.socket(AF[family], C.SOCK_STREAM));
  if (family === 'inet6') {
    const e = sock.setsockoptInt(fd, C.IPPROTO_IPV6, C.IPV6_V6ONLY, ipv6only ? 1 : 0);
    if (e < 0) { closeRaw(fd); throw new SyscallError('setsockopt', -e); }
  }
  return fd;
}

export function bindTo(fd: number, sa: Sockaddr): void {
  const { bytes, length } = encodeSockaddr(sa);
  check('bind', sock.bind(fd, bytes, length));
}

let somaxconn: number | null = null;
/** Go's maxListenerBacklog: the kernel's limit, which it would clamp to anyway. */
export function maxListenerBacklog(): number {
  if (somaxconn !== null) return somaxconn;
  somaxconn = 4096;
  if (IS_LINUX) {
    try {
      const n = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
      if (Number.isInteger(n) && n > 0) somaxconn = Math.min(n, 65535);
    } catch { /* keep the default */ }
  }
  return somaxconn;
}

/** Hands a raw descriptor to an FD registered with the poller; closes it if that fails. */
export function newFD(sysfd: number, netpoll: Netpoll): FD {
  try {
    return new FD(sysfd, { netpoll, isStream: true, zeroReadIsEOF: true, shortReadDrains: true });
  } catch (e) {
    closeRaw(sysfd);
    throw e;
  }
}

/** Go's default keep-alive period (defaultTCPKeepAlive), in ms. */
export const DEFAULT_KEEP_ALIVE = 15_000;
/** The longest keep-alive period, in ms: Linux refuses TCP_KEEPIDLE and TCP_KEEPINTVL over 32767 s. */
export const MAX_KEEP_ALIVE = 32_767_000;

/** The per-connection options listen, dial and serve apply to each new TCP connection. */
export interface SocketOptions {
  /** TCP_NODELAY. */
  readonly noDelay: boolean;
  /** Keep-alive idle time and probe interval in ms; 0: off. */
  readonly keepAlive: number;
}

/**
 * Checks the noDelay and keepAlive options once, where the caller gives
 * them (listen, dial, serve), so that nothing can fail later on a new
 * connection: TypeError for a wrong type, RangeError for a period the
 * kernel would refuse (more than 32767 s, Infinity). keepAlive 0 or less
 * turns keep-alive off; undefined is Go's default, 15 s.
 */
export function socketOptions(noDelay: unknown, keepAlive: unknown): SocketOptions {
  if (noDelay !== undefined && typeof noDelay !== 'boolean') {
    throw new TypeError(`netpoll: noDelay must be a boolean, got ${typeof noDelay}`);
  }
  let ka = DEFAULT_KEEP_ALIVE;
  if (keepAlive !== undefined) {
    if (typeof keepAlive !== 'number' || Number.isNaN(keepAlive)) {
      throw new TypeError(`netpoll: keepAlive must be a number of milliseconds, got ${String(keepAlive)}`);
    }
    if (keepAlive > MAX_KEEP_ALIVE) {
      throw new RangeError(`netpoll: keepAlive must be at most ${MAX_KEEP_ALIVE} ms (32767 s), got ${String(keepAlive)}`);
    }
    ka = keepAlive > 0 ? keepAlive : 0;
  }
  return { noDelay: noDelay ?? true, keepAlive: ka };
}

/**
 * Go's newTCPConn and the dialer's keep-alive: TCP_NODELAY and keep-alive on
 * a new TCP connection, for listen (accepted), dial and serve alike. Errors
 * are ignored, as Go ignores them: a connection is never dropped because an
 * option did not take (the options were checked by socketOptions()).
 */
export function applySocketOptions(sysfd: number, o: SocketOptions): void {
  if (o.noDelay) sock.setsockoptInt(sysfd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
  if (o.keepAlive > 0) {
    sock.setsockoptInt(sysfd, C.SOL_SOCKET, C.SO_KEEPALIVE, 1);
    const secs = keepAliveSecs(o.keepAlive);
    if (C.TCP_KEEPIDLE !== 0) sock.setsockoptInt(sysfd, C.IPPROTO_TCP, C.TCP_KEEPIDLE, secs);
    if (C.TCP_KEEPINTVL !== 0) sock.setsockoptInt(sysfd, C.IPPROTO_TCP, C.TCP_KEEPINTVL, secs);
  }
}

/** Go's roundDurationUp to seconds, at least 1. */
export function keepAliveSecs(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * A listener bound to one address (not a wildcard): every connection it
 * accepts has that local address, so nobody needs to ask getsockname.
 */
export function boundToOne(addr: Addr): boolean {
  return addr.network === 'unix' || (addr.ip !== null && !isUnspecified(addr.ip));
}

