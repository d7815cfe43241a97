// Addresses as Go writes them: "127.0.0.1:8080", "[::1]:0", "localhost:0",
// ":0", "[fe80::1%eth0]:80", and Unix paths ("@name" for Linux's abstract
// namespace). Names go through node:dns's lookup, as the OS resolves them.
import { lookup } from 'node:dns/promises';
import { ifIndexToName, ifNameToIndex, type Sockaddr } from '../sys/sockaddr.ts';
import { formatIP, parseIP, to4, to16, isUnspecified } from './ip.ts';

export type Network = 'tcp' | 'tcp4' | 'tcp6' | 'unix';
export const NETWORKS: readonly Network[] = ['tcp', 'tcp4', 'tcp6', 'unix'];
/** The datagram networks of listenPacket and dialPacket. */
export type PacketNetwork = 'udp' | 'udp4' | 'udp6' | 'unixgram';
export const PACKET_NETWORKS: readonly PacketNetwork[] = ['udp', 'udp4', 'udp6', 'unixgram'];
/** What Addr.network says: Go's TCPAddr, UDPAddr or UnixAddr (net "unix" or "unixgram"). */
export type AddrNetwork = 'tcp' | 'udp' | 'unix' | 'unixgram';

/** A malformed or unusable address (Go's *net.AddrError): "address 127.0.0.1: missing port in address". */
export class AddrError extends Error {
  readonly code = 'ERR_NETPOLL_BAD_ADDRESS';
  readonly timeout = false;
  readonly address: string;
  readonly reason: string;
  constructor(reason: string, address: string) {
    super(address === '' ? reason : `address ${address}: ${reason}`);
    this.name = 'AddrError';
    this.reason = reason;
    this.address = address;
  }
}

/** An unknown network name (Go's UnknownNetworkError). */
export class UnknownNetworkError extends Error {
  readonly code = 'ERR_NETPOLL_UNKNOWN_NETWORK';
  readonly timeout = false;
  constructor(network: string) {
    super(`unknown network ${network}`);
    this.name = 'UnknownNetworkError';
  }
}

export function checkNetwork(network: unknown): Network {
  if (typeof network === 'string' && (NETWORKS as readonly string[]).includes(network)) return network as Network;
  throw new UnknownNetworkError(String(network));
}

export function checkPacketNetwork(network: unknown): PacketNetwork {
  if (typeof network === 'string' && (PACKET_NETWORKS as readonly string[]).includes(network)) return network as PacketNetwork;
  throw new UnknownNetworkError(String(network));
}

/** True for the Unix-domain networks, whose addresses are paths. */
function isUnixNet(n: AddrNetwork): boolean { return n === 'unix' || n === 'unixgram'; }

/** An endpoint: Go's *TCPAddr, *UDPAddr or *UnixAddr. */
export class Addr {
  /** 'tcp', 'udp', 'unix' or 'unixgram' (Go's Addr.Network()). */
  readonly network: AddrNetwork;
  /** The IP as text (with its %zone), '' for "any", or the Unix path. */
  readonly address: string;
  /** 0 for Unix sockets. */
  readonly port: number;
  readonly zone: string;
  // Bytes on demand: a connection keeps two Addrs for its whole life.
  private ipBytes: Uint8Array | null | undefined;

  constructor(network: AddrNetwork, address: string, port = 0, ip?: Uint8Array | null, zone = '') {
    this.network = network;
    this.address = address;
    this.port = port;
    this.zone = zone;
    this.ipBytes = ip;
  }

  /** 4 or 16 bytes for TCP ("any" is null); null for Unix. */
  get ip(): Uint8Array | null {
    if (this.ipBytes === undefined) {
      const text = this.zone ? this.address.slice(0, this.address.length - this.zone.length - 1) : this.address;
      this.ipBytes = isUnixNet(this.network) || text === '' ? null : parseIP(text);
    }
    return this.ipBytes;
  }

  /** A TCP address; a null ip is "any" and prints as ":port", as Go's nil IP does. */
  static tcp(ip: Uint8Array | null, port: number, zone = ''): Addr {
    return new Addr('tcp', ip ? formatIP(ip) + (zone ? `%${zone}` : '') : '', port, ip, zone);
  }

  /** A UDP address (Go's *UDPAddr); a null ip is "any". */
  static udp(ip: Uint8Array | null, port: number, zone = ''): Addr {
    return new Addr('udp', ip ? formatIP(ip) + (zone ? `%${zone}` : '') : '', port, ip, zone);
  }

  /** A Unix address; net 'unixgram' for datagram sockets (Go's UnixAddr.Net). */
  static unix(path: string, net: 'unix' | 'unixgram' = 'unix'): Addr {
    return new Addr(net, path, 0, null);
  }

  /** The Addr of a decoded sockaddr; kind says which network it belongs to (TCP and stream Unix by default). */
  static fromSockaddr(sa: Sockaddr, kind: 'stream' | 'datagram' = 'stream'): Addr {
    const ipNet = kind === 'stream' ? 'tcp' : 'udp';
    switch (sa.family) {
      case 'inet4': return new Addr(ipNet, formatIP(sa.ip), sa.port);
      case 'inet6': {
        const scope = sa.scopeId ?? 0;
        const zone = scope === 0 ? '' : (ifIndexToName(scope) ?? String(scope));
        return new Addr(ipNet, formatIP(sa.ip) + (zone ? `%${zone}` : ''), sa.port, undefined, zone);
      }
      case 'unix': return Addr.unix(sa.path, kind === 'stream' ? 'unix' : 'unixgram');
    }
  }

  get family(): 'inet4' | 'inet6' | 'unix' {
    if (isUnixNet(this.network)) return 'unix';
    const ip = this.ip;
    return ip === null || ip.length === 4 ? 'inet4' : 'inet6';
  }

  /** The sockaddr for this address in the given family (an IPv4 address in an AF_INET6 socket is v4-mapped). */
  toSockaddr(family: 'inet4' | 'inet6' | 'unix' = this.family): Sockaddr {
    if (isUnixNet(this.network)) return { family: 'unix', path: this.address };
    const ip = this.ip ?? new Uint8Array(family === 'inet4' ? 4 : 16);
    if (family === 'inet4') {
      const v4 = to4(ip);
      if (!v4) throw new AddrError('non-IPv4 address', this.address);
      return { family: 'inet4', ip: v4, port: this.port };
    }
    // Go: the IPv4 wildcard in an IPv6 socket is the IPv6 wildcard.
    const ip16 = ip.length === 4 && isUnspecified(ip) ? new Uint8Array(16) : to16(ip);
    return { family: 'inet6', ip: ip16, port: this.port, scopeId: zoneToScopeId(this.zone) };
  }

  /** Go's form: "127.0.0.1:8080", "[::1]:0", "[fe80::1%eth0]:80", or the Unix path. */
  toString(): string {
    if (isUnixNet(this.network)) return this.address;
    return joinHostPort(this.address, String(this.port));
  }

  toJSON(): { network: string; address: string; port: number } {
    return { network: this.network, address: this.address, port: this.port };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Addr<${this.network} ${this.toString()}>`;
  }
}

function zoneToScopeId(zone: string): number {
  if (zone === '') return 0;
  if (/^[0-9]+$/.test(zone)) return Number(zone) >>> 0;
  return ifNameToIndex(zone);
}

/** Go's net.JoinHostPort. */
export function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's net.SplitHostPort, with its error texts. */
export function splitHostPort(hostport: string): [host: string, port: string] {
  const missingPort = 'missing port in address';
  const tooManyColons = 'too many colons in address';
  const fail = (why: string): never => { throw new AddrError(why, hostport); };
  const i = hostport.lastIndexOf(':');
  if (i < 0) fail(missingPort);
  let host: string;
  let j = 0, k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) fail("missing ']' in address");
    if (end + 1 === hostport.length) fail(missingPort);
    else if (end + 1 !== i) {
      if (hostport[end + 1] === ':') fail(tooManyColons);
      fail(missingPort);
    }
    host = hostport.slice(1, end);
    j = 1; k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) fail(tooManyColons);
  }
  if (hostport.indexOf('[', j) >= 0) fail("unexpected '[' in address");
  if (hostport.indexOf(']', k) >= 0) fail("unexpected ']' in address");
  return [host, hostport.slice(i + 1)];
}

const SERVICES: Record<string, number> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, pop3: 110, imap: 143,
  https: 443, imaps: 993, pop3s: 995, socks: 1080, mysql: 3306, postgresql: 5432,
};

/** A decimal port 0..65535 or a well-known service name (Go's LookupPort, without /etc/services). */
export function parsePort(service: string): number {
  if (service === '') return 0; // Go: an empty port is port 0
  if (/^[0-9]+$/.test(service)) {
    const n = Number(service);
    if (n > 65535) throw new AddrError('invalid port', service);
    return n;
  }
  if (/^[+-]?[0-9]+$/.test(service)) throw new AddrError('invalid port', service);
  const known = SERVICES[service.toLowerCase()];
  if (known === undefined) throw new AddrError('unknown port', `tcp/${service}`);
  return known;
}

/** An IP host with an optional %zone, or null if `host` is a name. */
function parseHostIP(host: string): { ip: Uint8Array; zone: string } | null {
  const pct = host.lastIndexOf('%');
  const ipPart = pct >= 0 ? host.slice(0, pct) : host;
  const zone = pct >= 0 ? host.slice(pct + 1) : '';
  const ip = parseIP(ipPart);
  if (!ip) return null;
  if (zone !== '' && ip.length !== 16) throw new AddrError('IPv4 address with a zone', host);
  return { ip, zone };
}

/** A name lookup shaped like node:dns/promises lookup() with `all: true` (Node's net.connect `lookup` option, Go's Dialer.Resolver). */
export type LookupFunction = (hostname: string, options: { family: 0 | 4 | 6; all: true }) => Promise<Array<{ address: string; family: number }>>;

export interface ResolveOptions {
  signal?: AbortSignal | undefined;
  /** The lookup to use instead of the system's (dns.lookup, getaddrinfo). */
  lookup?: LookupFunction | undefined;
}

function familyFits(network: Network, ip: Uint8Array): boolean {
  if (network === 'tcp4') return to4(ip) !== null;
  if (network === 'tcp6') return ip.length === 16 && to4(ip) === null;
  return true;
}

/**
 * Resolves "host:port" for a TCP network into the addresses to try, IPv4
 * first for 'tcp' (Go's listen takes the first IPv4; its dial tries the
 * primaries first). An empty host resolves to [] with the port: "any
 * address" for listen, the local system for dial.
 */
export async function resolveTCPAddrs(network: Network, address: string, opts: ResolveOptions = {}): Promise<{ addrs: Addr[]; port: number; wildcard: boolean }> {
  if (typeof address !== 'string') throw new TypeError(`netpoll: address must be a string, got ${typeof address}`);
  const [host, service] = splitHostPort(address);
  const port = parsePort(service);
  if (host === '') return { addrs: [], port, wildcard: true };
  const lit = parseHostIP(host);
  if (lit) {
    if (!familyFits(network, lit.ip)) throw new AddrError('no suitable address found', host);
    const a = Addr.tcp(lit.ip.length === 16 && to4(lit.ip) ? to4(lit.ip)!.slice() : lit.ip, port, lit.zone);
    return { addrs: [a], port, wildcard: isUnspecified(lit.ip) };
  }
  const family = network === 'tcp4' ? 4 : network === 'tcp6' ? 6 : 0;
  const look: LookupFunction = opts.lookup ?? ((h, o) => lookup(h, o));
  const found = await abortable(look(host, { family, all: true }), opts.signal).catch((e: unknown) => {
    if (opts.signal?.aborted && e === opts.signal.reason) throw e;
    const code = (e as { code?: string }).code;
    throw new AddrError(code === 'ENOTFOUND' ? 'no such host' : `lookup failed (${code ?? String(e)})`, host);
  });
  const addrs: Addr[] = [];
  for (const f of found) {
    const hit = parseHostIP(f.address);
    if (hit && familyFits(network, hit.ip)) addrs.push(Addr.tcp(to4(hit.ip) ? to4(hit.ip)!.slice() : hit.ip, port, hit.zone));
  }
  if (addrs.length === 0) throw new AddrError('no suitable address found', host);
  // Stable: IPv4 first, the resolver's order inside each family.
  addrs.sort((a, b) => Number(a.ip!.length === 16) - Number(b.ip!.length === 16));
  return { addrs, port, wildcard: false };
}

/**
 * Resolves "host:port" for a UDP network as resolveTCPAddrs does for TCP
 * (the same literals, names and family rules); the addresses are UDP ones.
 */
export async function resolveUDPAddrs(network: PacketNetwork, address: string, opts: ResolveOptions = {}): Promise<{ addrs: Addr[]; port: number; wildcard: boolean }> {
  const tcpNet: Network = network === 'udp4' ? 'tcp4' : network === 'udp6' ? 'tcp6' : 'tcp';
  const r = await resolveTCPAddrs(tcpNet, address, opts);
  return { ...r, addrs: r.addrs.map((a) => new Addr('udp', a.address, a.port, a.ip, a.zone)) };
}

/**
 * A local address to bind before dialing: "ip:port", ":port", or a bare IP
 * (port 0); no names. net says whether it is a TCP or a UDP address.
 */
export function parseLocalAddress(local: string, net: 'tcp' | 'udp'): Addr {
  const make = net === 'tcp' ? Addr.tcp : Addr.udp;
  const ip = parseIP(local);
  if (ip) return make(ip, 0);
  const [host, port] = splitHostPort(local);
  const hip = host === '' ? null : parseIP(host);
  if (host !== '' && !hip) throw new AddrError('local address must be an IP address', local);
  const n = port === '' ? 0 : Number(port);
  if (!/^[0-9]*$/.test(port) || n > 65535) throw new AddrError('invalid port', port);
  return make(hip, n);
}

/** A Unix address: the path itself; "" only where the caller allows it (Linux autobind). */
export function resolveUnixAddr(address: string): Addr {
  if (typeof address !== 'string') throw new TypeError(`netpoll: address must be a string, got ${typeof address}`);
  return Addr.unix(address);
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
