// Multicast group membership (Go's joinIPv4Group / joinIPv6Group and
// setIPv4MulticastInterface): IP_ADD_MEMBERSHIP with ip_mreqn (or ip_mreq)
// for IPv4 groups, IPV6_JOIN_GROUP with ipv6_mreq for IPv6 ones.
import { networkInterfaces } from 'node:os';
import type { FD } from '../fd/fd.ts';
import { C } from '../sys/constants.ts';
import { M } from '../sys/msg-constants.ts';
import { ipMreq, ipv6Mreq } from '../sys/mreq.ts';
import { ifNameToIndex } from '../sys/sockaddr.ts';
import * as sock from '../sys/socket.ts';
import { check } from '../sys/syscall-error.ts';
import { AddrError } from './addr.ts';
import { parseIP, to4 } from './ip.ts';
import type { Family } from './sock.ts';

/** An interface by name ('eth0') or index; undefined lets the kernel pick. */
export type GroupInterface = string | number | undefined;

function ifIndex(iface: GroupInterface): number {
  if (iface === undefined) return 0;
  if (typeof iface === 'number') {
    if (!Number.isInteger(iface) || iface < 0) throw new RangeError(`netpoll: interface index ${String(iface)} is out of range`);
    return iface;
  }
  if (typeof iface !== 'string') throw new TypeError('netpoll: an interface is a name or an index');
  const i = ifNameToIndex(iface);
  if (i === 0) throw new AddrError('no such network interface', iface);
  return i;
}

/** An interface's first IPv4 address, for the OSes whose ip_mreq names the interface that way. */
function ifAddr4(iface: GroupInterface): Uint8Array | null {
  if (iface === undefined) return null;
  const name = typeof iface === 'string' ? iface : null;
  if (name === null) throw new AddrError('this OS names a multicast interface by name, not index', String(iface));
  const v4 = networkInterfaces()[name]?.find((a) => a.family === 'IPv4');
  if (!v4) throw new AddrError('no IPv4 address on interface', name);
  return parseIP(v4.address);
}

/** True for 224.0.0.0/4 and ff00::/8. */
export function isMulticast(ip: Uint8Array): boolean {
  const v4 = to4(ip);
  return v4 !== null ? (v4[0]! & 0xf0) === 0xe0 : ip[0] === 0xff;
}

/** Joins (join=true) or leaves a group on a udp socket of the given family. */
export function joinGroup(fd: FD, family: Family, group: string, iface: GroupInterface, join: boolean): void {
  if (family === 'unix') throw new AddrError('multicast needs a udp socket', group);
  if (typeof group !== 'string') throw new TypeError('netpoll: a multicast group is an IP address string');
  const ip = parseIP(group);
  if (ip === null) throw new AddrError('invalid IP address', group);
  if (!isMulticast(ip)) throw new AddrError('not a multicast address', group);
  const v4 = to4(ip);
  if (v4 !== null && family === 'inet4') {
    const mreq = M.HAS_IP_MREQN ? ipMreq(v4, ifIndex(iface), null) : ipMreq(v4, 0, ifAddr4(iface));
    setBytes(fd, M.IPPROTO_IP, join ? M.IP_ADD_MEMBERSHIP : M.IP_DROP_MEMBERSHIP, mreq);
    return;
  }
  if (v4 !== null) throw new AddrError('an IPv4 group on an IPv6 socket: listen on udp4', group);
  setBytes(fd, C.IPPROTO_IPV6, join ? M.IPV6_JOIN_GROUP : M.IPV6_LEAVE_GROUP, ipv6Mreq(ip, ifIndex(iface)));
}

function setBytes(fd: FD, level: number, name: number, val: Uint8Array): void {
  fd.rawControl((sysfd) => check('setsockopt', sock.setsockopt(sysfd, level, name, val, val.byteLength)));
}
