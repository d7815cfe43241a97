// netpoll: the public face. The platform poller alone is `netpoll/poller`;
// Node's http/https/undici on netpoll, stats and diagnostics are `netpoll/node`.
export { serve, ServeConn } from './net/index.ts';
export { listen, dial, Conn, Listener, Addr, AddrError, UnknownNetworkError, OpError, isClosedError, isTimeoutError,
  joinHostPort, splitHostPort, parseIP, formatIP, webStreams, toNodeStream,
  type ListenOptions, type DialOptions, type AcceptErrorHook, type Network, type DuplexIO, type StreamOptions, type WebStreams } from './net/index.ts';
// Datagrams and descriptor passing: Go's net.PacketConn, ReadMsgUnix/WriteMsgUnix, syscall.UnixRights.
export { listenPacket, dialPacket, listenMulticastUDP, PacketConn, PacketInfo, WriteToConnectedError, ControlMessageError, fileConn,
  type PacketNetwork, type ListenPacketOptions, type DialPacketOptions, type ListenMulticastOptions, type ReadFromResult,
  type PacketTarget, type ReadMsgResult, type PacketSocketOptions, type GroupInterface } from './net/index.ts';
export { unixRights, parseUnixRights, parseSocketControlMessages, cmsgSpace, cmsgLen, CmsgError,
  type SocketControlMessage } from './sys/cmsg.ts';
export { NodeSocket, type SocketIO, type NodeSocketOptions, type ReadyState } from './net/node-socket.ts';
export { FD, type WriteError } from './fd/index.ts';
export { Netpoll, PollDesc, NetClosingError, DeadlineExceededError, NotPollableError, DoubleWaitError,
  type NetpollOptions, type DeadlineInput, type Parker } from './netpoll/index.ts';
export { createPoller, wakerFrom, PollerShutdownError, type Poller, type Mode, type Backend,
  type WakerHandle, type Waker } from './poller/index.ts';
export { SyscallError } from './sys/syscall-error.ts';
// Adopting and handing off sockets, socket activation, raw access.
export { systemdListeners, parseListenFds, ListenFdsError, SocketKindError,
  type SystemdListener, type SystemdOptions, type AdoptOptions, type ControlFn } from './net/index.ts';
export type { RawConn } from './fd/raw-conn.ts';
