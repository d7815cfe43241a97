// net: Go's net.Listen / net.Dial / net.Conn on the project's own poller.
export { listen, type ListenOptions } from './listen.ts';
export { dial, type DialOptions } from './dial.ts';
export { Conn } from './conn.ts';
export { Listener } from './listener.ts';
export { Addr, AddrError, UnknownNetworkError, joinHostPort, splitHostPort, type Network, type PacketNetwork, type AddrNetwork } from './addr.ts';
export { listenPacket, dialPacket, listenMulticastUDP, type ListenPacketOptions, type DialPacketOptions, type ListenMulticastOptions } from './listen-packet.ts';
export { PacketConn, WriteToConnectedError, type ReadFromResult, type PacketTarget } from './packet-conn.ts';
export { PacketInfo } from './packet-info.ts';
export { fileConn, type FileConnOptions } from './file-conn.ts';
export { ControlMessageError, type ReadMsgResult } from './msg-io.ts';
export type { PacketSocketOptions } from './packet-sock.ts';
export type { GroupInterface } from './multicast.ts';
export { OpError, isClosedError, isTimeoutError } from './errors.ts';
export { webStreams, toNodeStream, type DuplexIO, type StreamOptions, type WebStreams } from './streams.ts';
export { parseIP, formatIP } from './ip.ts';
export { serve, ServeConn, SCRATCH_SIZE, type ServeHandler, type ServeOptions } from './serve.ts';
