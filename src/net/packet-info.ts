// Where a datagram came from, kept as the kernel's sockaddr bytes: the
// zero-allocation side of readFrom (Go's ReadFromUDPAddrPort returns a
// netip.AddrPort value; here the caller keeps one PacketInfo and it is
// refilled by every read). An Addr is made only when asked for, and
// writeTo takes a PacketInfo back as the destination without re-encoding.
import { C } from '../sys/constants.ts';
import { decodeSockaddr, SIZEOF_SOCKADDR_STORAGE, sockaddrFamily } from '../sys/sockaddr.ts';
import { Addr } from './addr.ts';
import { formatIP } from './ip.ts';

/**
 * One received datagram's facts: its length, whether it was cut, and its
 * sender. Reused across reads.
 *
 * @example
 * const from = new PacketInfo();
 * for (;;) {
 *   await pc.readFromInto(buf, from);
 *   await pc.writeTo(buf, from, 0, from.n);   // echo to the sender
 * }
 */
export class PacketInfo {
  /** Bytes copied into the buffer. */
  n = 0;
  /** The datagram was longer than the buffer; the rest was discarded (MSG_TRUNC). */
  truncated = false;
  /** The sender's sockaddr: bytes [0, sockaddrLength). */
  readonly sockaddr = new Uint8Array(SIZEOF_SOCKADDR_STORAGE);
  /** @internal socklen_t in and out of recvfrom. */
  readonly socklen = new Int32Array(1);
  private cached: Addr | null = null;
  private self: Promise<PacketInfo> | null = null;
  private cachedFor = -1;
  private fills = 0;

  /** Length of the sender's sockaddr (0: unnamed, e.g. an unbound Unix socket). */
  get sockaddrLength(): number { return this.socklen[0]!; }

  /** @internal An already-settled promise of this PacketInfo: a read that completes at once returns it. */
  settled(): Promise<PacketInfo> { return (this.self ??= Promise.resolve(this)); }

  /** @internal A read refilled it. */
  filled(n: number, truncated: boolean): void {
    this.n = n;
    this.truncated = truncated;
    this.fills++;
  }

  /** 'inet4', 'inet6', 'unix', or null when the sender had no address. */
  get family(): 'inet4' | 'inet6' | 'unix' | null {
    const len = this.socklen[0]!;
    if (len < 2) return len === 0 ? null : 'unix';
    const f = sockaddrFamily(this.sockaddr, len);
    return f === C.AF_INET ? 'inet4' : f === C.AF_INET6 ? 'inet6' : f === C.AF_UNIX ? 'unix' : null;
  }

  /** The sender's port (0 for Unix), read straight from the bytes. */
  get port(): number {
    const f = this.family;
    return f === 'inet4' || f === 'inet6' ? (this.sockaddr[2]! << 8) | this.sockaddr[3]! : 0;
  }

  /** The sender as an Addr (made once per datagram, on demand). */
  addr(): Addr {
    if (this.cached !== null && this.cachedFor === this.fills) return this.cached;
    const len = this.socklen[0]!;
    const a = len < 2 ? Addr.unix('', 'unixgram') : Addr.fromSockaddr(decodeSockaddr(this.sockaddr, len), 'datagram');
    this.cached = a;
    this.cachedFor = this.fills;
    return a;
  }

  /** "ip:port" or the Unix path, without making an Addr for IPv4. */
  toString(): string {
    if (this.family === 'inet4') return `${formatIP(this.sockaddr.subarray(4, 8))}:${this.port}`;
    return this.addr().toString();
  }

  /** True when both name the same sender (the same sockaddr bytes). */
  sameSender(other: PacketInfo): boolean {
    const len = this.socklen[0]!;
    if (len !== other.socklen[0]) return false;
    for (let i = 0; i < len; i++) if (this.sockaddr[i] !== other.sockaddr[i]) return false;
    return true;
  }

  /** @internal Copies a sockaddr in (readBatch). */
  setSockaddr(bytes: Uint8Array, len: number): void {
    const n = Math.min(len, SIZEOF_SOCKADDR_STORAGE);
    this.sockaddr.set(bytes.subarray(0, n));
    this.socklen[0] = n;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `PacketInfo<${this.n} B${this.truncated ? ' truncated' : ''} from ${this.toString()}>`;
  }
}
