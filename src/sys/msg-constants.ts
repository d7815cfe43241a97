// Constants for datagrams, messages and their socket options, per OS, named
// as the C headers name them. Apart from constants.ts so the datagram layer
// grows without touching the table every other layer reads. 0 means the OS
// has no such thing (the caller falls back, as Go does).
import { OS_NAME, type OS } from './platform.ts';

export interface MsgConstants {
  // recvmsg/sendmsg flags
  MSG_TRUNC: number; MSG_CTRUNC: number; MSG_DONTWAIT: number; MSG_PEEK: number;
  /** Received descriptors close-on-exec atomically; 0 on macOS (fcntl after). */
  MSG_CMSG_CLOEXEC: number;
  SCM_RIGHTS: number;
  // errno
  EMSGSIZE: number; EDESTADDRREQ: number; EAFNOSUPPORT: number; EADDRINUSE: number; EPROTOTYPE: number;
  EOPNOTSUPP: number; EHOSTUNREACH: number; ENETUNREACH: number;
  // options
  SO_BROADCAST: number;
  IPPROTO_IP: number; IPPROTO_UDP: number;
  IP_MULTICAST_IF: number; IP_MULTICAST_TTL: number; IP_MULTICAST_LOOP: number;
  IP_ADD_MEMBERSHIP: number; IP_DROP_MEMBERSHIP: number;
  IPV6_MULTICAST_IF: number; IPV6_MULTICAST_HOPS: number; IPV6_MULTICAST_LOOP: number;
  IPV6_JOIN_GROUP: number; IPV6_LEAVE_GROUP: number;
  /** Membership takes struct ip_mreqn (with an interface index) rather than ip_mreq. */
  HAS_IP_MREQN: boolean;
}

type Numeric = Exclude<keyof MsgConstants, 'HAS_IP_MREQN'>;

// Each constant once, as [Linux, the BSDs and macOS]; the few places where
// one BSD differs are set in `tables` below.
const VALUES: Record<Exclude<Numeric, 'MSG_CMSG_CLOEXEC'>, readonly [number, number]> = {
  MSG_TRUNC: [0x20, 0x10], MSG_CTRUNC: [0x8, 0x20], MSG_DONTWAIT: [0x40, 0x80], MSG_PEEK: [0x2, 0x2],
  SCM_RIGHTS: [1, 1],
  EMSGSIZE: [90, 40], EDESTADDRREQ: [89, 39], EAFNOSUPPORT: [97, 47], EADDRINUSE: [98, 48],
  EPROTOTYPE: [91, 41], EOPNOTSUPP: [95, 45], EHOSTUNREACH: [113, 65], ENETUNREACH: [101, 51],
  SO_BROADCAST: [6, 0x20], IPPROTO_IP: [0, 0], IPPROTO_UDP: [17, 17],
  IP_MULTICAST_IF: [32, 9], IP_MULTICAST_TTL: [33, 10], IP_MULTICAST_LOOP: [34, 11],
  IP_ADD_MEMBERSHIP: [35, 12], IP_DROP_MEMBERSHIP: [36, 13],
  IPV6_MULTICAST_IF: [17, 9], IPV6_MULTICAST_HOPS: [18, 10], IPV6_MULTICAST_LOOP: [19, 11],
  IPV6_JOIN_GROUP: [20, 12], IPV6_LEAVE_GROUP: [21, 13],
};

function column(i: 0 | 1, cloexec: number, mreqn: boolean): MsgConstants {
  const t = { MSG_CMSG_CLOEXEC: cloexec, HAS_IP_MREQN: mreqn } as MsgConstants;
  for (const k of Object.keys(VALUES) as (keyof typeof VALUES)[]) t[k] = VALUES[k][i];
  return t;
}

const tables: Record<OS, MsgConstants> = {
  linux: column(0, 0x40000000, true),
  darwin: { ...column(1, 0, false), EOPNOTSUPP: 102 },
  freebsd: column(1, 0x40000, true),
  dragonfly: column(1, 0x1000, false),
  netbsd: column(1, 0x800, false),
  openbsd: column(1, 0x800, false),
};

export const M: Readonly<MsgConstants> = Object.freeze(tables[OS_NAME]);
export function msgConstantsFor(os: OS): Readonly<MsgConstants> { return tables[os]; }
