// A TLSSocket made over a netpoll socket (by tls.Server for serveHttp, by
// tls.connect for the https Agent) wraps it as a JS stream: Node's TLSWrap
// then has no TCP handle to ask for addresses or to ref, so its
// remoteAddress is undefined and ref/unref/setNoDelay/setKeepAlive do
// nothing. Linking hands those to the netpoll socket underneath.
import type { TLSSocket } from 'node:tls';
import type { NodeSocket } from '../net/node-socket.ts';

/** The net.Socket fields Node reads before asking its handle (net's _getpeername/_getsockname). */
interface PeerCache {
  _peername?: { address: string; family: string; port: number };
  _sockname?: { address: string; family: string; port: number };
}

/** Gives tls the addresses and the socket options of the netpoll socket it runs over. */
export function linkTls(tls: TLSSocket, raw: NodeSocket): void {
  const cache = tls as TLSSocket & PeerCache;
  const peer = raw.remoteAddress;
  if (peer !== undefined) cache._peername = { address: peer, family: raw.remoteFamily!, port: raw.remotePort! };
  const local = raw.address();
  if (local.address !== undefined) cache._sockname = local as { address: string; family: string; port: number };
  tls.ref = function ref() { raw.ref(); return this; };
  tls.unref = function unref() { raw.unref(); return this; };
  tls.setNoDelay = function setNoDelay(on?: boolean) { raw.setNoDelay(on); return this; };
  tls.setKeepAlive = function setKeepAlive(on?: boolean, delay?: number) { raw.setKeepAlive(on, delay); return this; };
}

/** The netpoll socket under a TLSSocket that tls.Server made (TLSWrap -> JSStreamSocket -> stream). */
export function rawUnder(tls: TLSSocket): unknown {
  const h = (tls as unknown as { _handle?: { _parentWrap?: { stream?: unknown } } })._handle;
  return h?._parentWrap?.stream;
}
