// Shared by the node-layer tests: a self-signed certificate made with
// openssl at test time, and small request helpers over Node's own clients.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
