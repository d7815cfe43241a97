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
import { SyscallError } from '../sys/syscall-error.ts';
import type { Addr, Network } from './addr.ts';
import { isUnspecified } from './ip.ts';

export type Family = 'inet4' | 'inet6' | 'unix';

const AF: Record<Family, number> = { inet4: C.AF_INET, inet6: C.AF_INET6, unix: C.AF_UNIX };

function check(syscall: string, r: number): number {
  if (r < 0) throw new SyscallError(syscall, -r);
  return r;
}

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
    return new FD(sysfd, { netpoll, isStream: true, zeroReadIsEOF: true });
  } catch (e) {
    closeRaw(sysfd);
    throw e;
  }
}

export { check as checkSyscall };
