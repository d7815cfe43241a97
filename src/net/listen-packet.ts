// listenPacket, dialPacket and listenMulticastUDP: Go's net.ListenPacket,
// net.Dial on "udp"/"unixgram" and net.ListenMulticastUDP. A datagram
// socket binds (and for dialPacket, connects) at once: connect(2) on a
// datagram socket only records the peer, so nothing waits.
import { FD } from '../fd/fd.ts';
import { Netpoll } from '../netpoll/netpoll.ts';
import { close as closeRaw } from '../sys/libc.ts';
import { C } from '../sys/constants.ts';
import { M } from '../sys/msg-constants.ts';
import { IS_LINUX } from '../sys/platform.ts';
import { decodeSockaddr, encodeSockaddr } from '../sys/sockaddr.ts';
import * as sock from '../sys/socket.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { Addr, AddrError, checkPacketNetwork, parseLocalAddress, resolveUDPAddrs, resolveUnixAddr, splitHostPort, type PacketNetwork } from './addr.ts';
import { OpError } from './errors.ts';
import { parseIP } from './ip.ts';
import type { GroupInterface } from './multicast.ts';
import { checkBatching, PacketConn, type PacketBatching } from './packet-conn.ts';
import { checkPacketOptions, packetFamily, packetSocket, type PacketSocketOptions } from './packet-sock.ts';
import { controlNetwork } from './control.ts';

export interface ListenPacketOptions extends PacketSocketOptions, PacketBatching {
  /** The Netpoll to register with; default Netpoll.current(). */
  netpoll?: Netpoll;
  /** Cancels a name lookup still in progress. */
  signal?: AbortSignal;
}

export interface DialPacketOptions extends ListenPacketOptions {
  /** Bind to this local address first: "ip:port", a bare IP, or a Unix path ("@name" abstract on Linux). */
  localAddress?: string;
}

function fail(op: 'listen' | 'dial', net: string, e: unknown, signal?: AbortSignal, laddr?: Addr | null, raddr?: Addr | null): unknown {
  if (signal?.aborted && e === signal.reason) return e;
  if (e instanceof TypeError || (e instanceof RangeError && !('code' in e))) return e;
  return e instanceof OpError ? e : new OpError({ op, net, source: laddr ?? null, addr: raddr ?? null, cause: e });
}

async function resolveUDP(net: PacketNetwork, address: string, signal: AbortSignal | undefined, mode: 'listen' | 'dial'): Promise<Addr> {
  const r = await resolveUDPAddrs(net, address, { signal });
  const first = r.addrs.find((a) => a.family === 'inet4') ?? r.addrs[0];
  if (first) return first;
  // No host: "any" to listen on; the local system to send to (as dial does).
  if (mode === 'listen') return Addr.udp(null, r.port);
  return Addr.udp(net === 'udp6' ? parseIP('::1') : Uint8Array.of(127, 0, 0, 1), r.port);
}

function parseLocal(net: PacketNetwork, local: string): Addr {
  if (typeof local !== 'string') throw new TypeError('netpoll: localAddress must be a string');
  return net === 'unixgram' ? Addr.unix(local, 'unixgram') : parseLocalAddress(local, 'udp');
}

function bindAddr(fd: number, a: Addr, family: 'inet4' | 'inet6' | 'unix'): void {
  const { bytes, length } = encodeSockaddr(a.toSockaddr(family));
  const e = sock.bind(fd, bytes, length);
  if (e < 0) throw new SyscallError('bind', -e);
}

/** The checks both listenPacket and dialPacket start with: the network, the signal, the options. */
function begin(op: 'listen' | 'dial', network: PacketNetwork, opts: ListenPacketOptions): { net: PacketNetwork; np: Netpoll } {
  let net: PacketNetwork;
  try {
    net = checkPacketNetwork(network);
  } catch (e) {
    throw new OpError({ op, net: String(network), cause: e });
  }
  opts.signal?.throwIfAborted();
  checkPacketOptions(opts);
  checkBatching(opts);
  return { net, np: Netpoll.of(opts.netpoll) };
}

/**
 * The socket with its options, the control hook, then setup (bind, connect);
 * closed again if any step fails. Then the PacketConn around it.
 */
function build(op: 'listen' | 'dial', net: PacketNetwork, np: Netpoll, opts: ListenPacketOptions, laddr: Addr | null, raddr: Addr | null,
               setup: (sysfd: number, family: 'inet4' | 'inet6' | 'unix') => void): PacketConn {
  opts.signal?.throwIfAborted();
  const { family, ipv6only } = packetFamily(net, laddr, raddr, op);
  let sysfd = -1;
  try {
    sysfd = packetSocket(family, ipv6only, opts);
    opts.control?.(controlNetwork(net, family), (raddr ?? laddr)!.toString(), sysfd);
    setup(sysfd, family);
  } catch (e) {
    if (sysfd >= 0) closeRaw(sysfd);
    throw fail(op, net, e, opts.signal, op === 'dial' ? laddr : null, raddr ?? laddr);
  }
  try {
    return open(sysfd, net, family, op === 'dial' ? raddr : null, np, opts);
  } catch (e) {
    throw fail(op, net, e, opts.signal, op === 'dial' ? laddr : null, raddr ?? laddr);
  }
}

/** Wraps the bound (and maybe connected) raw socket; closes it if that fails. */
function open(sysfd: number, net: PacketNetwork, family: 'inet4' | 'inet6' | 'unix', peer: Addr | null, np: Netpoll, opts: PacketBatching): PacketConn {
  let fd: FD;
  try {
    fd = new FD(sysfd, { netpoll: np, isStream: false, zeroReadIsEOF: false });
  } catch (e) {
    closeRaw(sysfd);
    throw e;
  }
  try {
    const sa = decodeSockaddr(fd.getsockname());
    const local = sa.family === 'unix' ? Addr.unix(sa.path, 'unixgram') : Addr.fromSockaddr(sa, 'datagram');
    return new PacketConn(fd, net, family, local, peer, opts);
  } catch (e) {
    void fd.close().catch(() => {});
    throw e;
  }
}

/**
 * A datagram socket bound to address: udp ("127.0.0.1:0", "[::1]:9999",
 * ":0", "localhost:0"; udp4 and udp6 pin the family) or unixgram (a path,
 * "@name" in Linux's abstract namespace). Go's net.ListenPacket.
 *
 * @example
 * const pc = await listenPacket('udp', '127.0.0.1:0');
 * const buf = new Uint8Array(1500);
 * const { n, addr } = await pc.readFrom(buf);
 * await pc.writeTo(buf, addr, 0, n);
 */
export async function listenPacket(network: PacketNetwork, address: string, opts: ListenPacketOptions = {}): Promise<PacketConn> {
  const { net, np } = begin('listen', network, opts);
  const { signal } = opts;
  let laddr: Addr;
  try {
    if (typeof address !== 'string') throw new TypeError(`netpoll: address must be a string, got ${typeof address}`);
    if (net === 'unixgram') {
      laddr = Addr.unix(resolveUnixAddr(address).address, 'unixgram');
      if (laddr.address === '' && !IS_LINUX) throw new AddrError('missing address', '');
    } else {
      laddr = await resolveUDP(net, address, signal, 'listen');
    }
  } catch (e) {
    throw fail('listen', net, e, signal);
  }
  return build('listen', net, np, opts, laddr, null, (sysfd, family) => {
    // An empty unixgram path stays unnamed (Linux); it can still be connected to and dial out.
    if (!(net === 'unixgram' && laddr.address === '')) bindAddr(sysfd, laddr, family);
  });
}

/**
 * A datagram socket connected to address: read and write talk to that peer
 * only, and on udp an ICMP "port unreachable" comes back as ECONNREFUSED on
 * the next read. Go's net.Dial("udp" | "unixgram", …).
 *
 * @example
 * const pc = await dialPacket('udp', '127.0.0.1:5353');
 * await pc.write(query);
 * const n = await pc.read(buf);
 */
export async function dialPacket(network: PacketNetwork, address: string, opts: DialPacketOptions = {}): Promise<PacketConn> {
  const { net, np } = begin('dial', network, opts);
  const { signal } = opts;
  let raddr: Addr;
  let laddr: Addr | null = null;
  try {
    if (typeof address !== 'string') throw new TypeError(`netpoll: address must be a string, got ${typeof address}`);
    if (opts.localAddress !== undefined) laddr = parseLocal(net, opts.localAddress);
    if (net === 'unixgram') {
      raddr = Addr.unix(address, 'unixgram');
      if (address === '') throw new AddrError('missing address', '');
    } else {
      raddr = await resolveUDP(net, address, signal, 'dial');
      if (laddr?.ip && laddr.family !== raddr.family) throw new AddrError('no suitable address found', address);
    }
  } catch (e) {
    throw fail('dial', net, e, signal, laddr);
  }
  return build('dial', net, np, opts, laddr, raddr, (sysfd, family) => {
    if (laddr !== null && !(net === 'unixgram' && laddr.address === '')) bindAddr(sysfd, laddr, family);
    const { bytes, length } = encodeSockaddr(raddr.toSockaddr(family));
    let e: number;
    do e = sock.connect(sysfd, bytes, length); while (e === -C.EINTR);
    if (e < 0) throw new SyscallError('connect', -e);
  });
}

export interface ListenMulticastOptions extends ListenPacketOptions {
  /** The interface to join on (name or index); default: the kernel picks. */
  interface?: GroupInterface;
}

/**
 * Go's net.ListenMulticastUDP: a udp socket bound to the group's address
 * and port (SO_REUSEADDR, and SO_REUSEPORT on the BSDs, so several
 * listeners share it), loopback of its own sends off, joined to the group.
 *
 * @example
 * const pc = await listenMulticastUDP('udp4', '239.1.2.3:9999', { interface: 'eth0' });
 */
export async function listenMulticastUDP(network: 'udp' | 'udp4' | 'udp6', groupAddress: string, opts: ListenMulticastOptions = {}): Promise<PacketConn> {
  if (network === ('unixgram' as string)) throw new OpError({ op: 'listen', net: network, cause: new AddrError('multicast needs a udp network', groupAddress) });
  const [host] = (() => { try { return splitHostPort(groupAddress); } catch { return ['']; } })();
  const ip = host === undefined || host === '' ? null : parseIP(host);
  if (ip === null) throw new OpError({ op: 'listen', net: network, cause: new AddrError('missing multicast group address', groupAddress) });
  const pc = await listenPacket(network, groupAddress, { ...opts, reuseAddr: true, reusePort: opts.reusePort ?? !IS_LINUX });
  try {
    const v4 = ip.length === 4 || (ip.length === 16 && ip.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff)));
    if (v4) pc.setsockoptInt(M.IPPROTO_IP, M.IP_MULTICAST_LOOP, 0);
    else pc.setsockoptInt(C.IPPROTO_IPV6, M.IPV6_MULTICAST_LOOP, 0);
    pc.joinGroup(host!, opts.interface);
    return pc;
  } catch (e) {
    await pc.close();
    throw fail('listen', network, e, opts.signal, null, pc.localAddr);
  }
}
