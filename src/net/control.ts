// Go's ListenConfig.Control and Dialer.Control: the caller's own code on the
// raw socket after socket(2) and before bind(2) / connect(2), for options
// the library does not name (SO_MARK, IP_TRANSPARENT, SO_BINDTODEVICE…).
import type { Network, PacketNetwork } from './addr.ts';
import type { Family } from './sock.ts';

/**
 * Called with the network as Go names it for the socket's family ('tcp4',
 * 'tcp6', 'unix'), the address about to be bound or connected to, and the
 * descriptor (valid during the call only). A throw fails the listen or dial
 * with an OpError wrapping it; the socket is closed.
 *
 * @example
 * const SO_MARK = 36; // Linux
 * await listen('tcp', ':8080', { control: (_net, _addr, fd) => check(setsockoptInt(fd, SOL_SOCKET, SO_MARK, 7)) });
 */
export type ControlFn = (network: string, address: string, fd: number) => void;

export function checkControl(control: unknown): ControlFn | undefined {
  if (control === undefined) return undefined;
  if (typeof control !== 'function') throw new TypeError('netpoll: control must be a function (network, address, fd) => void');
  return control as ControlFn;
}

/** Go's ctrlNetwork: tcp (udp) becomes tcp4 or tcp6 (udp4 or udp6) after the socket's family. */
export function controlNetwork(net: Network | PacketNetwork, family: Family): string {
  if (net === 'unix' || net === 'unixgram') return net;
  const base = net.startsWith('udp') ? 'udp' : 'tcp';
  return family === 'inet4' ? `${base}4` : `${base}6`;
}
