// struct sockaddr_in, sockaddr_in6 and sockaddr_un as bytes, per OS.
// Linux starts each with a 2-byte family in host order; the BSDs and macOS
// with a 1-byte length (sin_len) and a 1-byte family. Ports and the IPv6
// flow label are in network order, the scope id in host order.
import { endianness } from 'node:os';
import { C } from './constants.ts';
import { libc } from './libc-handle.ts';
import { IS_LINUX, OS_NAME, type OS } from './platform.ts';

const LE = endianness() === 'LE';

export const SIZEOF_SOCKADDR_IN = 16;
export const SIZEOF_SOCKADDR_IN6 = 28;
/** sun_path: 108 bytes on Linux, 104 on the BSDs and macOS. */
export const SUN_PATH_LEN = IS_LINUX ? 108 : 104;
export const SIZEOF_SOCKADDR_UN = 2 + SUN_PATH_LEN;
/** struct sockaddr_storage on os: 128 bytes, but 256 on OpenBSD (its __ss_pad3 is 240 bytes). */
export function sockaddrStorageSizeFor(os: OS): number {
  return os === 'openbsd' ? 256 : 128;
}
/** struct sockaddr_storage: room for any of them (accept, getsockname). */
export const SIZEOF_SOCKADDR_STORAGE = sockaddrStorageSizeFor(OS_NAME);

export interface SockaddrInet4 {
  readonly family: 'inet4';
  /** 4 bytes. */
  readonly ip: Uint8Array;
  readonly port: number;
}

export interface SockaddrInet6 {
  readonly family: 'inet6';
  /** 16 bytes. */
  readonly ip: Uint8Array;
  readonly port: number;
  readonly flowinfo?: number;
  readonly scopeId?: number;
}

export interface SockaddrUnix {
  readonly family: 'unix';
  /** A path, '' for an unnamed socket, or on Linux '@name' for the abstract namespace. */
  readonly path: string;
}

export type Sockaddr = SockaddrInet4 | SockaddrInet6 | SockaddrUnix;

/** An encoded sockaddr; `length` is the socklen_t to pass with it. */
export interface EncodedSockaddr {
  readonly bytes: Uint8Array;
  readonly length: number;
}

/** A sockaddr the kernel would refuse (Go's EINVAL from sockaddr()). */
export class SockaddrError extends RangeError {
  readonly code = 'EINVAL';
  constructor(message: string) {
    super(`netpoll: ${message}`);
    this.name = 'SockaddrError';
  }
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new SockaddrError(`port ${String(port)} is out of range 0..65535`);
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new SockaddrError(`${what} ${String(v)} is out of range 0..2^32-1`);
}

function header(view: DataView, bytes: Uint8Array, family: number, len: number): void {
  if (IS_LINUX) {
    view.setUint16(0, family, LE);
  } else {
    bytes[0] = len;
    bytes[1] = family;
  }
}

export function encodeSockaddr(sa: Sockaddr): EncodedSockaddr {
  switch (sa.family) {
    case 'inet4': {
      if (!(sa.ip instanceof Uint8Array) || sa.ip.length !== 4) throw new SockaddrError('an IPv4 sockaddr needs a 4-byte address');
      checkPort(sa.port);
      const bytes = new Uint8Array(SIZEOF_SOCKADDR_IN);
      const view = new DataView(bytes.buffer);
      header(view, bytes, C.AF_INET, SIZEOF_SOCKADDR_IN);
      view.setUint16(2, sa.port, false);
      bytes.set(sa.ip, 4);
      return { bytes, length: SIZEOF_SOCKADDR_IN };
    }
    case 'inet6': {
      if (!(sa.ip instanceof Uint8Array) || sa.ip.length !== 16) throw new SockaddrError('an IPv6 sockaddr needs a 16-byte address');
      checkPort(sa.port);
      const flowinfo = sa.flowinfo ?? 0, scopeId = sa.scopeId ?? 0;
      checkU32(flowinfo, 'flowinfo');
      checkU32(scopeId, 'scope id');
      const bytes = new Uint8Array(SIZEOF_SOCKADDR_IN6);
      const view = new DataView(bytes.buffer);
      header(view, bytes, C.AF_INET6, SIZEOF_SOCKADDR_IN6);
      view.setUint16(2, sa.port, false);
      view.setUint32(4, flowinfo, false);
      bytes.set(sa.ip, 8);
      view.setUint32(24, scopeId, LE);
      return { bytes, length: SIZEOF_SOCKADDR_IN6 };
    }
    case 'unix':
      return encodeUnix(sa.path);
    default:
      throw new SockaddrError(`unknown sockaddr family ${String((sa as { family: unknown }).family)}`);
  }
}

// Go's SockaddrUnix.sockaddr(), per OS.
function encodeUnix(path: string): EncodedSockaddr {
  if (typeof path !== 'string') throw new SockaddrError('a unix sockaddr needs a string path');
  const name = new TextEncoder().encode(path);
  const n = name.length;
  const abstract = IS_LINUX && n > 0 && name[0] === 0x40; // '@'
  if (IS_LINUX) {
    // A pathname needs its NUL inside sun_path; an abstract name does not.
    if (n > SUN_PATH_LEN || (n === SUN_PATH_LEN && !abstract)) {
      throw new SockaddrError(`unix socket path is ${n} bytes, longer than sun_path (${SUN_PATH_LEN - (abstract ? 0 : 1)} at most)`);
    }
  } else if (n === 0 || n >= SUN_PATH_LEN) {
    throw new SockaddrError(n === 0 ? 'unix socket path is empty'
      : `unix socket path is ${n} bytes, longer than sun_path (${SUN_PATH_LEN - 1} at most)`);
  }
  if (!abstract && name.includes(0)) throw new SockaddrError('unix socket path contains a NUL byte');
  const bytes = new Uint8Array(SIZEOF_SOCKADDR_UN);
  const view = new DataView(bytes.buffer);
  bytes.set(name, 2);
  let length: number;
  if (IS_LINUX) {
    // family, name, NUL; an abstract name has its '@' turned into the leading NUL and no trailing one.
    length = n > 0 ? 2 + n + 1 : 2;
    if (abstract) { bytes[2] = 0; length--; }
  } else {
    length = 2 + n + 1;
  }
  header(view, bytes, C.AF_UNIX, length);
  return { bytes: bytes.subarray(0, length), length };
}

/** The family number of an encoded sockaddr (AF_INET, AF_INET6, AF_UNIX, …). */
export function sockaddrFamily(bytes: Uint8Array, length = bytes.length): number {
  if (length < 2 || bytes.length < 2) throw new SockaddrError(`sockaddr of ${length} bytes is too short for a family`);
  return IS_LINUX ? new DataView(bytes.buffer, bytes.byteOffset, 2).getUint16(0, LE) : bytes[1]!;
}

/** Decodes what accept, getsockname or getpeername returned (`length` is their socklen). */
export function decodeSockaddr(bytes: Uint8Array, length = bytes.length): Sockaddr {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('netpoll: sockaddr must be a Uint8Array');
  if (!Number.isInteger(length) || length < 0 || length > bytes.length) {
    throw new SockaddrError(`sockaddr length ${String(length)} is outside the buffer of ${bytes.length} bytes`);
  }
  const family = sockaddrFamily(bytes, length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  if (family === C.AF_INET) {
    if (length < 8) throw new SockaddrError(`sockaddr_in of ${length} bytes is too short`);
    return { family: 'inet4', port: view.getUint16(2, false), ip: bytes.slice(4, 8) };
  }
  if (family === C.AF_INET6) {
    if (length < 24) throw new SockaddrError(`sockaddr_in6 of ${length} bytes is too short`);
    const scopeId = length >= 28 ? view.getUint32(24, LE) : 0;
    return { family: 'inet6', port: view.getUint16(2, false), flowinfo: view.getUint32(4, false), ip: bytes.slice(8, 24), scopeId };
  }
  if (family === C.AF_UNIX) {
    const end = Math.min(length, SIZEOF_SOCKADDR_UN);
    if (end <= 2) return { family: 'unix', path: '' };
    const raw = bytes.subarray(2, end);
    const dec = new TextDecoder();
    if (IS_LINUX && raw[0] === 0) {
      // Abstract: the whole length is the name; shown with '@' as Go does.
      return { family: 'unix', path: '@' + dec.decode(raw.subarray(1)) };
    }
    const nul = raw.indexOf(0);
    return { family: 'unix', path: dec.decode(nul < 0 ? raw : raw.subarray(0, nul)) };
  }
  throw new SockaddrError(`unsupported address family ${family}`);
}

// IPv6 zones: an interface name (fe80::1%eth0) is the scope id of its index.

type NameToIndex = (name: string) => number;
type IndexToName = (index: number, buf: Uint8Array) => unknown;
let nameToIndexC: NameToIndex | null = null;
let indexToNameC: IndexToName | null = null;

/** if_nametoindex(3): 0 when no interface has that name. */
export function ifNameToIndex(name: string): number {
  nameToIndexC ??= libc.func('unsigned int if_nametoindex(const char *ifname)') as NameToIndex;
  return nameToIndexC(name) >>> 0;
}

/** if_indextoname(3): null when no interface has that index. */
export function ifIndexToName(index: number): string | null {
  indexToNameC ??= libc.func('void *if_indextoname(unsigned int ifindex, void *ifname)') as IndexToName;
  const buf = new Uint8Array(64); // IF_NAMESIZE is 16 everywhere; room to spare
  if (!indexToNameC(index >>> 0, buf)) return null;
  const nul = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, nul < 0 ? buf.length : nul));
}
