// The node layer: Node's own servers and clients on netpoll connections.
export { serveHttp, type ServeHttpOptions } from './serve-http.ts';
export { NetpollAgent, NetpollHttpsAgent, type NetpollAgentOptions, type NetpollHttpsAgentOptions } from './agent.ts';
export { connectSocket, type ConnectTarget, type DialSocketOptions } from './client.ts';
export { undiciConnect, type UndiciConnector, type UndiciConnectCallback, type UndiciConnectParams, type UndiciConnectOptions } from './undici.ts';
export { stats, type NetpollStats, type ListenerSnapshot, type ServerSnapshot } from './stats.ts';
export { CHANNELS } from '../netpoll/channels.ts';
