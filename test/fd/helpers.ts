// Shared by the FD tests: the backends that run here, socketpairs and a
// loopback TCP listener made with sys/socket.ts and a hand-built sockaddr_in.
import { readdirSync } from 'node:fs';
import { Netpoll } from '../../src/netpoll/index.ts';
import type { Backend } from '../../src/poller/types.ts';
import { C } from '../../src/sys/constants.ts';
import { IS_LINUX } from '../../src/sys/platform.ts';
import * as sock from '../../src/sys/socket.ts';
import { check } from '../../src/sys/syscall-error.ts';
import { backends as allBackends } from '../helpers/backends.ts';

/** The table's backends that can be built on this machine right now. */
export const backends: readonly Backend[] = allBackends.filter((b) => {
  try {
    new Netpoll({ backend: b }).shutdown();
    return true;
  } catch {
    return false;
  }
});

export function socketPair(type = C.SOCK_STREAM): [number, number] {
  const sv = new Int32Array(2);
  check('socketpair', sock.socketpair(C.AF_UNIX, type, 0, sv));
  return [sv[0]!, sv[1]!];
}

/** struct sockaddr_in for 127.0.0.1:port, laid out by hand. */
export function loopback4(port: number): Uint8Array {
  const sa = new Uint8Array(16);
  if (IS_LINUX) { sa[0] = C.AF_INET & 0xff; sa[1] = C.AF_INET >> 8; } else { sa[0] = 16; sa[1] = C.AF_INET; }
  sa[2] = port >> 8; sa[3] = port & 0xff;
  sa[4] = 127; sa[5] = 0; sa[6] = 0; sa[7] = 1;
  return sa;
}

export function portOf(sa: Uint8Array): number {
  return (sa[2]! << 8) | sa[3]!;
}

/** A listening TCP socket on 127.0.0.1 and an ephemeral port. */
export function tcpListener(backlog = 1024): { fd: number; port: number } {
  const fd = check('socket', sock.socket(C.AF_INET, C.SOCK_STREAM, 0));
  check('setsockopt', sock.setsockoptInt(fd, C.SOL_SOCKET, C.SO_REUSEADDR, 1));
  check('bind', sock.bind(fd, loopback4(0), 16));
  check('listen', sock.listen(fd, backlog));
  const sa = new Uint8Array(128), len = new Int32Array([128]);
  check('getsockname', sock.getsockname(fd, sa, len));
  return { fd, port: portOf(sa) };
}

/** A port nobody listens on: bound, never listened, then closed. */
export function closedPort(): number {
  const fd = check('socket', sock.socket(C.AF_INET, C.SOCK_STREAM, 0));
  check('bind', sock.bind(fd, loopback4(0), 16));
  const sa = new Uint8Array(128), len = new Int32Array([128]);
  check('getsockname', sock.getsockname(fd, sa, len));
  const port = portOf(sa);
  closeRaw(fd);
  return port;
}

export function tcpSocket(): number {
  return check('socket', sock.socket(C.AF_INET, C.SOCK_STREAM, 0));
}

import { close as closeRaw, fcntl } from '../../src/sys/libc.ts';
export { closeRaw };

export function isNonblockCloexec(fd: number): boolean {
  const fl = fcntl(fd, C.F_GETFL, 0), fdfl = fcntl(fd, C.F_GETFD, 0);
  return fl >= 0 && (fl & C.O_NONBLOCK) !== 0 && fdfl >= 0 && (fdfl & C.FD_CLOEXEC) !== 0;
}

export function fdIsOpen(fd: number): boolean {
  return fcntl(fd, C.F_GETFD, 0) >= 0;
}

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** 'pending' if p has not settled within ms, else what it settled with. */
export async function settleWithin<T>(p: Promise<T>, ms: number): Promise<{ ok: T } | { err: unknown } | 'pending'> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((r) => { t = setTimeout(() => r('pending'), ms); });
  try {
    return await Promise.race([p.then((ok) => ({ ok }), (err: unknown) => ({ err })), timeout]);
  } finally {
    clearTimeout(t);
  }
}

export function codeOf(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}
