// Datagram sockets the way Go's sock_posix.go makes them for udp and
// unixgram: the family from the network and addresses (Go's
// favoriteAddrFamily), IPV6_V6ONLY as the network asks, the options
// before bind.
import { C } from '../sys/constants.ts';
import { close as closeRaw } from '../sys/libc.ts';
import { M } from '../sys/msg-constants.ts';
import * as sock from '../sys/socket.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import type { Addr, PacketNetwork } from './addr.ts';
import { favoriteFamily, type Family } from './sock.ts';
import { checkControl, type ControlFn } from './control.ts';

const AF: Record<Family, number> = { inet4: C.AF_INET, inet6: C.AF_INET6, unix: C.AF_UNIX };

/** Socket options of listenPacket and dialPacket (Go's ListenConfig.Control, spelled out). */
export interface PacketSocketOptions {
  /** SO_REUSEADDR (udp). */
  reuseAddr?: boolean;
  /** SO_REUSEPORT: several sockets share one port, the kernel spreads datagrams over them. */
  reusePort?: boolean;
  /** SO_BROADCAST: may send to broadcast addresses; on by default for udp, as Go sets it. */
  broadcast?: boolean;
  /** SO_RCVBUF in bytes (the kernel may double or clamp it). */
  readBuffer?: number;
  /** SO_SNDBUF in bytes. */
  writeBuffer?: number;
  /** Go's ListenConfig.Control / Dialer.Control: runs on the raw socket after socket(2) and these options, before bind(2)/connect(2). */
  control?: ControlFn;
}

export function packetFamily(net: PacketNetwork, laddr: Addr | null, raddr: Addr | null, mode: 'dial' | 'listen'): { family: Family; ipv6only: boolean } {
  if (net === 'unixgram') return { family: 'unix', ipv6only: false };
  return favoriteFamily(net === 'udp4' ? 'tcp4' : net === 'udp6' ? 'tcp6' : 'tcp', laddr, raddr, mode);
}

function checkSize(v: number | undefined, what: string): void {
  if (v !== undefined && (!Number.isInteger(v) || v <= 0 || v > 0x7fffffff)) {
    throw new RangeError(`netpoll: ${what} must be a positive integer of bytes, got ${String(v)}`);
  }
}

/** Validates the options before any descriptor exists. */
export function checkPacketOptions(opts: PacketSocketOptions): void {
  checkControl(opts.control);
  checkSize(opts.readBuffer, 'readBuffer');
  checkSize(opts.writeBuffer, 'writeBuffer');
}

/** A non-blocking, close-on-exec SOCK_DGRAM socket with the options applied; the caller owns it. */
export function packetSocket(family: Family, ipv6only: boolean, opts: PacketSocketOptions): number {
  const fd = sock.socket(AF[family], C.SOCK_DGRAM);
  if (fd < 0) throw new SyscallError('socket', -fd);
  const set = (level: number, name: number, v: number): void => {
    const e = sock.setsockoptInt(fd, level, name, v);
    if (e < 0) throw new SyscallError('setsockopt', -e);
  };
  try {
    if (family === 'inet6') set(C.IPPROTO_IPV6, C.IPV6_V6ONLY, ipv6only ? 1 : 0);
    // Go sets SO_BROADCAST on every UDP socket it makes (setDefaultSockopts).
    if ((opts.broadcast ?? true) && family !== 'unix') set(C.SOL_SOCKET, M.SO_BROADCAST, 1);
    if (opts.reuseAddr) set(C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    if (opts.reusePort) set(C.SOL_SOCKET, C.SO_REUSEPORT, 1);
    if (opts.readBuffer !== undefined) set(C.SOL_SOCKET, C.SO_RCVBUF, opts.readBuffer);
    if (opts.writeBuffer !== undefined) set(C.SOL_SOCKET, C.SO_SNDBUF, opts.writeBuffer);
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
  return fd;
}
