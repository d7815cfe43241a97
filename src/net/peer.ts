// A connection's peer kept as cheaply as possible: an IPv4 address and port
// packed into one number (ip · 65536 + port), every other kind as its Addr.
// The Addr is made only when someone asks for it.
import { debug } from '../netpoll/debug.ts';
import { decodeSockaddr } from '../sys/sockaddr.ts';
import { Addr } from './addr.ts';

export type PackedPeer = number | Addr;

export function packPeer(sa: Uint8Array): PackedPeer {
  try {
    const s = decodeSockaddr(sa);
    if (s.family === 'inet4') {
      const ip = s.ip;
      return (((ip[0]! << 24) | (ip[1]! << 16) | (ip[2]! << 8) | ip[3]!) >>> 0) * 65536 + s.port;
    }
    return Addr.fromSockaddr(s);
  } catch (e) {
    debug('net: undecodable peer address: %o', e);
    return Addr.tcp(null, 0);
  }
}

export function unpackPeer(p: PackedPeer): Addr {
  if (typeof p !== 'number') return p;
  const port = p % 65536;
  const ip = (p - port) / 65536;
  return new Addr('tcp', `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`, port);
}
