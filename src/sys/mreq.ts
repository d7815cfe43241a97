// Multicast membership requests as bytes (Go's setIPv4MreqToInterface and
// setIPv6MreqToInterface): struct ip_mreqn { in_addr multiaddr; in_addr
// address; int ifindex; } where the OS has it (Linux, FreeBSD), else
// struct ip_mreq { in_addr multiaddr; in_addr interface; }; and
// struct ipv6_mreq { in6_addr multiaddr; unsigned int interface; }.
import { endianness } from 'node:os';
import { M } from './msg-constants.ts';

const LE = endianness() === 'LE';

function checkIP(ip: Uint8Array, len: 4 | 16, what: string): void {
  if (!(ip instanceof Uint8Array) || ip.length !== len) throw new RangeError(`netpoll: ${what} must be ${len} bytes`);
}

/**
 * IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP's argument for group on the
 * interface with index ifindex (0: the kernel picks) or, where only
 * ip_mreq exists, the interface's IPv4 address ifaddr (null: any).
 */
export function ipMreq(group: Uint8Array, ifindex: number, ifaddr: Uint8Array | null): Uint8Array {
  checkIP(group, 4, 'an IPv4 multicast group');
  if (ifaddr !== null) checkIP(ifaddr, 4, 'an interface address');
  if (!Number.isInteger(ifindex) || ifindex < 0 || ifindex > 0x7fffffff) throw new RangeError(`netpoll: interface index ${String(ifindex)} is out of range`);
  const b = new Uint8Array(M.HAS_IP_MREQN ? 12 : 8);
  b.set(group, 0);
  if (ifaddr !== null) b.set(ifaddr, 4);
  if (M.HAS_IP_MREQN) new DataView(b.buffer).setInt32(8, ifindex, LE);
  return b;
}

/** IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP's argument: group on interface ifindex (0: the kernel picks). */
export function ipv6Mreq(group: Uint8Array, ifindex: number): Uint8Array {
  checkIP(group, 16, 'an IPv6 multicast group');
  if (!Number.isInteger(ifindex) || ifindex < 0 || ifindex > 0xffffffff) throw new RangeError(`netpoll: interface index ${String(ifindex)} is out of range`);
  const b = new Uint8Array(20);
  b.set(group, 0);
  new DataView(b.buffer).setUint32(16, ifindex, LE);
  return b;
}
