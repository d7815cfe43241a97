// IP addresses as text and bytes, the way Go's net.ParseIP and IP.String
// read and write them (no leading zeros in IPv4 parts, RFC 5952 for IPv6,
// IPv4-mapped IPv6 shown dotted).

/** 4 bytes for dotted IPv4, 16 for IPv6; null when `s` is not an IP literal. */
export function parseIP(s: string): Uint8Array | null {
  if (s.includes(':')) return parseIPv6(s);
  return parseIPv4(s);
}

export function parseIPv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

export function parseIPv6(s: string): Uint8Array | null {
  const out = new Uint8Array(16);
  let ellipsis = -1;
  let i = 0; // byte index in out
  let rest = s;
  if (rest.startsWith('::')) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === '') return out;
  }
  while (i < 16) {
    const m = /^[0-9a-fA-F]{1,4}/.exec(rest);
    if (!m) return null;
    // An embedded IPv4 address in the last 32 bits.
    if (rest.length > m[0].length && rest[m[0].length] === '.') {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const v4 = parseIPv4(rest);
      if (!v4) return null;
      out.set(v4, i);
      i += 4;
      rest = '';
      break;
    }
    const v = parseInt(m[0], 16);
    out[i] = v >> 8;
    out[i + 1] = v & 0xff;
    i += 2;
    rest = rest.slice(m[0].length);
    if (rest === '') break;
    if (rest[0] !== ':' || rest.length === 1) return null;
    rest = rest.slice(1);
    if (rest[0] === ':') {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      rest = rest.slice(1);
      if (rest === '') break;
    }
  }
  if (rest !== '') return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    out.copyWithin(ellipsis + n, ellipsis, i);
    out.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    return null; // '::' must stand for at least one group
  }
  return out;
}

const V4_IN_V6_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** The 4-byte form of an IPv4 or IPv4-mapped IPv6 address, else null. */
export function to4(ip: Uint8Array): Uint8Array | null {
  if (ip.length === 4) return ip;
  if (ip.length === 16 && V4_IN_V6_PREFIX.every((b, k) => ip[k] === b)) return ip.subarray(12, 16);
  return null;
}

/** The 16-byte form; IPv4 becomes ::ffff:a.b.c.d. */
export function to16(ip: Uint8Array): Uint8Array {
  if (ip.length === 16) return ip;
  const out = new Uint8Array(16);
  out[10] = 0xff; out[11] = 0xff;
  out.set(ip, 12);
  return out;
}

export function isUnspecified(ip: Uint8Array): boolean {
  const v4 = to4(ip);
  return (v4 ?? ip).every((b) => b === 0);
}

export function isLoopback(ip: Uint8Array): boolean {
  const v4 = to4(ip);
  if (v4) return v4[0] === 127;
  return ip.length === 16 && ip.subarray(0, 15).every((b) => b === 0) && ip[15] === 1;
}

/** Go's IP.String. */
export function formatIP(ip: Uint8Array): string {
  const v4 = to4(ip);
  if (v4) return `${v4[0]}.${v4[1]}.${v4[2]}.${v4[3]}`;
  if (ip.length !== 16) return '?';
  // The longest run of two or more zero groups becomes '::' (the first on a tie).
  let e0 = -1, e1 = -1;
  for (let i = 0; i < 16; i += 2) {
    let j = i;
    while (j < 16 && ip[j] === 0 && ip[j + 1] === 0) j += 2;
    if (j > i && j - i > e1 - e0) { e0 = i; e1 = j; i = j; }
  }
  if (e1 - e0 <= 2) { e0 = -1; e1 = -1; }
  let s = '';
  for (let i = 0; i < 16; i += 2) {
    if (i === e0) {
      s += '::';
      i = e1;
      if (i >= 16) break;
    } else if (i > 0) {
      s += ':';
    }
    s += ((ip[i]! << 8) | ip[i + 1]!).toString(16);
  }
  return s;
}
