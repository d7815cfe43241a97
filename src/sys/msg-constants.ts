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

const bsd = {
  MSG_TRUNC: 0x10, MSG_CTRUNC: 0x20, MSG_DONTWAIT: 0x80, MSG_PEEK: 0x2, SCM_RIGHTS: 1,
  EMSGSIZE: 40, EDESTADDRREQ: 39, EAFNOSUPPORT: 47, EADDRINUSE: 48, EPROTOTYPE: 41, EOPNOTSUPP: 45,
  EHOSTUNREACH: 65, ENETUNREACH: 51,
  SO_BROADCAST: 0x20, IPPROTO_IP: 0, IPPROTO_UDP: 17,
  IP_MULTICAST_IF: 9, IP_MULTICAST_TTL: 10, IP_MULTICAST_LOOP: 11, IP_ADD_MEMBERSHIP: 12, IP_DROP_MEMBERSHIP: 13,
  IPV6_MULTICAST_IF: 9, IPV6_MULTICAST_HOPS: 10, IPV6_MULTICAST_LOOP: 11, IPV6_JOIN_GROUP: 12, IPV6_LEAVE_GROUP: 13,
  HAS_IP_MREQN: false,
};

const tables: Record<OS, MsgConstants> = {
  linux: {
    MSG_TRUNC: 0x20, MSG_CTRUNC: 0x8, MSG_DONTWAIT: 0x40, MSG_PEEK: 0x2, MSG_CMSG_CLOEXEC: 0x40000000, SCM_RIGHTS: 1,
    EMSGSIZE: 90, EDESTADDRREQ: 89, EAFNOSUPPORT: 97, EADDRINUSE: 98, EPROTOTYPE: 91, EOPNOTSUPP: 95,
    EHOSTUNREACH: 113, ENETUNREACH: 101,
    SO_BROADCAST: 6, IPPROTO_IP: 0, IPPROTO_UDP: 17,
    IP_MULTICAST_IF: 32, IP_MULTICAST_TTL: 33, IP_MULTICAST_LOOP: 34, IP_ADD_MEMBERSHIP: 35, IP_DROP_MEMBERSHIP: 36,
    IPV6_MULTICAST_IF: 17, IPV6_MULTICAST_HOPS: 18, IPV6_MULTICAST_LOOP: 19, IPV6_JOIN_GROUP: 20, IPV6_LEAVE_GROUP: 21,
    HAS_IP_MREQN: true,
  },
  darwin: { ...bsd, MSG_CMSG_CLOEXEC: 0, EOPNOTSUPP: 102 },
  freebsd: { ...bsd, MSG_CMSG_CLOEXEC: 0x40000, HAS_IP_MREQN: true },
  dragonfly: { ...bsd, MSG_CMSG_CLOEXEC: 0x1000 },
  netbsd: { ...bsd, MSG_CMSG_CLOEXEC: 0x800 },
  openbsd: { ...bsd, MSG_CMSG_CLOEXEC: 0x800 },
};

export const M: Readonly<MsgConstants> = Object.freeze(tables[OS_NAME]);
export function msgConstantsFor(os: OS): Readonly<MsgConstants> { return tables[os]; }
