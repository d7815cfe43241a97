// Raw TCP sockets for the FD tests, made with sys/socket.ts and a
// hand-built sockaddr_in (no net layer underneath what is tested).
import { C } from '../../src/sys/constants.ts';
import { close } from '../../src/sys/libc.ts';
import { IS_LINUX } from '../../src/sys/platform.ts';
import * as sock from '../../src/sys/socket.ts';
import { check } from '../../src/sys/syscall-error.ts';

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
  close(fd);
  return port;
}

export function tcpSocket(): number {
  return check('socket', sock.socket(C.AF_INET, C.SOCK_STREAM, 0));
}
