// Shared by the node-layer tests: a self-signed certificate made with
// openssl at test time, small request helpers over Node's own clients, and
// a server run by serveHttp on a loopback listener.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, type Listener } from '../../src/net/index.ts';
import type { Netpoll } from '../../src/netpoll/index.ts';
import { serveHttp } from '../../src/node/index.ts';

export interface KeyPair { key: Buffer; cert: Buffer }

let pair: KeyPair | null | undefined;

/** A key and a self-signed certificate for localhost and 127.0.0.1, or null when openssl is missing. */
export function selfSigned(): KeyPair | null {
  if (pair !== undefined) return pair;
  const dir = mkdtempSync(join(tmpdir(), 'netpoll-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    pair = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } catch {
    pair = null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return pair;
}

export interface Reply { status: number; body: string; headers: http.IncomingHttpHeaders; localPort: number | undefined }

/** One request with Node's own client; resolves with the whole reply. */
export function request(url: string, opts: https.RequestOptions & { body?: string | Buffer } = {},
                        mod: { request: typeof http.request } = http): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = mod.request(url, opts, (res) => {
      const localPort = res.socket?.localPort;
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), headers: res.headers, localPort }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The hex SHA-256 of some bytes (large bodies are compared by hash). */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `server` run by serveHttp on a fresh loopback listener; resolves once it is 'listening'. */
export async function serveOn(np: Netpoll, server: net.Server): Promise<{ ln: Listener; port: number; done: Promise<void> }> {
  const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
  const done = serveHttp(ln, server);
  await once(server, 'listening');
  return { ln, port: ln.addr.port, done };
}

/** Closes a server that may have closed already; resolves when it has. */
export async function closeServer(server: net.Server): Promise<void> {
  if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
}
