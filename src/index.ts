// netpoll: the public face is the net layer (Go's net on the poller). The
// other tiers have entry points of their own:
//   netpoll/runtime  the machinery under it: Netpoll, PollDesc, Parker, FD, the fairness knobs
//   netpoll/poller   the platform poller alone (epoll, kqueue)
//   netpoll/os       files, devices, pseudo-terminals on the poller
//   netpoll/node     Node's http/https/undici over netpoll connections
export { listen, dial, Conn, Listener, Addr, AddrError, UnknownNetworkError, joinHostPort, splitHostPort, parseIP, formatIP,
  webStreams, toNodeStream,
  type ListenOptions, type DialOptions, type AcceptErrorHook, type Network, type DuplexIO, type StreamOptions, type WebStreams } from './net/index.ts';
export { serve, ServeConn, type ServeHandler, type ServeOptions } from './net/index.ts';
// Datagrams and descriptor passing: Go's net.PacketConn, ReadMsgUnix/WriteMsgUnix, syscall.UnixRights.
export { listenPacket, dialPacket, listenMulticastUDP, PacketConn, PacketInfo, WriteToConnectedError, ControlMessageError, fileConn,
  type PacketNetwork, type ListenPacketOptions, type DialPacketOptions, type ListenMulticastOptions, type ReadFromResult,
  type PacketTarget, type ReadMsgResult, type PacketSocketOptions, type PacketBatching, type GroupInterface } from './net/index.ts';
export { unixRights, parseUnixRights, parseSocketControlMessages, cmsgSpace, cmsgLen, CmsgError,
  type SocketControlMessage } from './sys/cmsg.ts';
export { NodeSocket, type SocketIO, type NodeSocketOptions, type ReadyState } from './net/node-socket.ts';
// Adopting and handing off sockets, socket activation, raw access.
export { systemdListeners, parseListenFds, ListenFdsError, SocketKindError,
  type SystemdListener, type SystemdOptions, type AdoptOptions, type ControlFn } from './net/index.ts';
export type { RawConn } from './fd/raw-conn.ts';
// Errors, and the causes an OpError carries.
export { OpError, isClosedError, isTimeoutError } from './net/index.ts';
export { NetClosingError, DeadlineExceededError, type DeadlineInput } from './netpoll/index.ts';
export { NoDeadlineError, UnexpectedEOFError, type WriteError } from './fd/index.ts';
export { SyscallError } from './sys/syscall-error.ts';
