// serveHttp and the netpoll Agents at the edges of HTTP, driven by raw
// sockets, Node's own clients and servers, and ws: malformed requests,
// requestTimeout on a trickling body, deep pipelining, 20 MiB bodies both
// ways, the Agents against Node's own servers, WebSocket echo both ways,
// and a graceful close() while a large response is still streaming.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Writable } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Netpoll } from '../../src/netpoll/index.ts';
import { NetpollAgent, NetpollHttpsAgent } from '../../src/node/index.ts';
import { sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { closeServer, request, selfSigned, serveOn, sha256 } from '../helpers/node.ts';

/** Writes buf in pieces of `piece` bytes, waiting for 'drain' when the stream asks, then ends it. */
function writeInPieces(w: Writable, buf: Uint8Array, piece: number): void {
  let off = 0;
  const pump = (): void => {
    while (off < buf.length) {
      const p = buf.subarray(off, off + piece);
      off += p.length;
      if (!w.write(p)) { w.once('drain', pump); return; }
    }
    w.end();
  };
  pump();
}

/** Sends `text` on a fresh connection and collects everything until the server closes it (errors end it too). */
async function exchange(port: number, text: string | Buffer): Promise<string> {
  const s = net.connect(port, '127.0.0.1');
  let got = '';
  s.setEncoding('latin1');
  s.on('data', (d: string) => { got += d; });
  s.on('error', () => {}); // a reset after the reply: what was read is the answer
  s.write(text);
  await once(s, 'close');
  return got;
}

/** Whether the server still holds any connection open. */
function connections(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
}

/** POSTs `body` in 1 MiB writes (honouring backpressure) and resolves with the reply's bytes. */
function postAll(opts: http.RequestOptions, body: Buffer, mod: { request: typeof http.request } = http): Promise<{ status: number; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = mod.request({ method: 'POST', ...opts, headers: { 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, data: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    writeInPieces(req, body, 1 << 20);
  });
}

/** Echoes each request's body, and counts the requests. */
function echoServer(): http.Server & { served: number } {
  const server = http.createServer((req, res) => {
    server.served++;
    req.pipe(res);
  }) as http.Server & { served: number };
  server.served = 0;
  return server;
}

async function listenPlain(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** The next message on a WebSocket. */
async function nextMessage(ws: WebSocket): Promise<Buffer> {
  const [m] = await once(ws, 'message') as [RawData];
  return Buffer.isBuffer(m) ? m : Buffer.concat(Array.isArray(m) ? m : [Buffer.from(m)]);
}

/** A ws echo server on `server`'s 'upgrade'. */
function wsEcho(server: http.Server): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary }));
      ws.on('ping', (d) => ws.pong(d));
    });
  });
  return wss;
}

async function withNp<T>(make: () => Netpoll, f: (np: Netpoll) => Promise<T>): Promise<T> {
  const np = make();
  try { return await f(np); } finally { np.shutdown(); }
}

for (const { backend, skip, make } of backendCases) {
  describe(`HTTP edges over netpoll (${backend})`, { skip: skip ?? false }, () => {
    test('malformed requests get 400 / 431 and a closed connection; a kept-alive client and new ones go on', () => withNp(make, async (np) => {
      const server = http.createServer({ maxHeaderSize: 1024 }, (req, res) => res.end(`ok ${req.url}`));
      const clientErrors: string[] = [];
      server.on('clientError', (e: NodeJS.ErrnoException, socket: net.Socket) => {
        clientErrors.push(e.code ?? '');
        // Node's default reply, as without a listener.
        socket.end(e.code === 'HPE_HEADER_OVERFLOW' ? 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n' : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      });
      const { port } = await serveOn(np, server);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const before = await request(`http://127.0.0.1:${port}/before`, { agent });
        assert.equal(before.body, 'ok /before');
        const bad = [
          'HELLO THERE\r\n\r\n',
          '\x00\x01\x02\x03garbage\r\n\r\n',
          'GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n',
          'GET / HTTP/1.1\r\nHost: x\r\nX-Ctl: a\x01b\r\n\r\n',
          'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
        ];
        for (const text of bad) {
          const reply = await exchange(port, text);
          assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/, JSON.stringify(text));
        }
        const big = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
        assert.match(big, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
        assert.equal(clientErrors.length, bad.length + 1);
        assert.equal(clientErrors.at(-1), 'HPE_HEADER_OVERFLOW');
        // The kept-alive connection from before is the one that answers now.
        const after = await request(`http://127.0.0.1:${port}/after`, { agent });
        assert.equal(after.body, 'ok /after');
        assert.equal(after.localPort, before.localPort);
        assert.equal((await request(`http://127.0.0.1:${port}/fresh`)).body, 'ok /fresh');
      } finally {
        agent.destroy();
        await closeServer(server);
      }
    }));

    test('Node\'s own clientError reply (no listener): 400 for a bad request, 431 for an oversized head', () => withNp(make, async (np) => {
      const server = http.createServer({ maxHeaderSize: 1024 }, (_req, res) => res.end('ok'));
      const { port } = await serveOn(np, server);
      try {
        assert.match(await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request\r\n/);
        assert.match(await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`), /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
        assert.equal((await request(`http://127.0.0.1:${port}/`)).body, 'ok');
      } finally {
        await closeServer(server);
      }
    }));

    test('requestTimeout: a body that trickles in past it gets 408 and the connection closed', () => withNp(make, async (np) => {
      let ended = 0;
      const server = http.createServer({ headersTimeout: 200, requestTimeout: 300, connectionsCheckingInterval: 50 }, (req, res) => {
        req.resume();
        req.on('end', () => { ended++; res.end('done'); });
      });
      const { port } = await serveOn(np, server);
      try {
        const s = net.connect(port, '127.0.0.1');
        let got = '';
        s.setEncoding('latin1');
        s.on('data', (d: string) => { got += d; });
        s.on('error', () => {});
        const closed = once(s, 'close');
        s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
        // One byte every 20 ms: the body never completes before the server gives up (bounded at 10 s).
        const t0 = Date.now();
        while (!s.destroyed && got === '' && Date.now() - t0 < 10_000) {
          s.write('a');
          await sleep(20);
        }
        await closed;
        assert.match(got, /^HTTP\/1\.1 408 Request Timeout\r\n/);
        assert.equal(ended, 0);
        assert.equal((await request(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'quick' })).body, 'done');
      } finally {
        await closeServer(server);
      }
    }));

    test('100 pipelined requests (GETs and POSTs with bodies) in one write are answered in order', () => withNp(make, async (np) => {
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (d: Buffer) => chunks.push(d));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          // Every tenth answer waits a little: later requests must still wait their turn.
          const n = Number(req.url!.slice(1));
          const reply = (): void => { res.end(`<${req.url}|${body}|${req.socket.remotePort}>`); };
          if (n % 10 === 0) setTimeout(reply, 5); else reply();
        });
      });
      const { port } = await serveOn(np, server);
      try {
        let text = '';
        for (let i = 0; i < 100; i++) {
          const last = i === 99 ? 'Connection: close\r\n' : '';
          if (i % 2 === 0) text += `GET /${i} HTTP/1.1\r\nHost: x\r\n${last}\r\n`;
          else {
            const body = `body-${i}-${'z'.repeat(i * 37)}`;
            text += `POST /${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n${last}\r\n${body}`;
          }
        }
        const s = net.connect(port, '127.0.0.1');
        await once(s, 'connect');
        const localPort = s.localPort;
        let got = '';
        s.setEncoding('latin1');
        s.on('data', (d: string) => { got += d; });
        // No half-close: Node's http server (httpAllowHalfOpen false) drops what is
        // still in flight when the client ends first. The last request asks to close.
        s.write(text);
        await once(s, 'close');
        assert.equal((got.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 100, got.slice(0, 300));
        const seen = [...got.matchAll(/<\/(\d+)\|([^|]*)\|(\d+)>/g)];
        assert.deepEqual(seen.map((m) => Number(m[1])), Array.from({ length: 100 }, (_, i) => i));
        for (const m of seen) {
          const i = Number(m[1]);
          assert.equal(m[2], i % 2 === 0 ? '' : `body-${i}-${'z'.repeat(i * 37)}`);
          assert.equal(Number(m[3]), localPort);
        }
      } finally {
        await closeServer(server);
      }
    }));

    test('a 20 MiB POST echoed whole (by hash): Node\'s client to serveHttp, NetpollAgent to serveHttp and to Node\'s own server', () => withNp(make, async (np) => {
      const body = randomBytes(20 << 20);
      const want = sha256(body);
      const onNetpoll = echoServer();
      const { port } = await serveOn(np, onNetpoll);
      const plain = echoServer();
      const plainPort = await listenPlain(plain);
      const agent = new NetpollAgent({ keepAlive: true, netpoll: np });
      try {
        for (const [name, opts] of [
          ['Node client -> serveHttp', { host: '127.0.0.1', port }],
          ['NetpollAgent -> serveHttp', { host: '127.0.0.1', port, agent }],
          ['NetpollAgent -> node:http', { host: '127.0.0.1', port: plainPort, agent }],
        ] as const) {
          const r = await postAll(opts, body);
          assert.equal(r.status, 200, name);
          assert.equal(r.data.length, body.length, name);
          assert.equal(sha256(r.data), want, name);
        }
        assert.equal(onNetpoll.served, 2);
        assert.equal(plain.served, 1);
      } finally {
        agent.destroy();
        await closeServer(onNetpoll);
        await closeServer(plain);
      }
    }));

    test('NetpollAgent and NetpollHttpsAgent against Node\'s own servers: keep-alive reuse, addresses, a 4 MiB https echo', async (t) => {
      const kp = selfSigned();
      if (kp === null) { t.skip('openssl is not installed'); return; }
      await withNp(make, async (np) => {
        const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
          res.setHeader('x-peer', `${req.socket.remoteAddress}:${req.socket.remotePort}`);
          req.pipe(res);
        };
        const plain = http.createServer(handler);
        const secure = https.createServer({ key: kp.key, cert: kp.cert }, handler);
        const plainPort = await listenPlain(plain);
        const securePort = await listenPlain(secure);
        const agent = new NetpollAgent({ keepAlive: true, netpoll: np });
        const sagent = new NetpollHttpsAgent({ keepAlive: true, ca: kp.cert, netpoll: np });
        try {
          const a = await request(`http://127.0.0.1:${plainPort}/`, { agent, method: 'POST', body: 'one' });
          const b = await request(`http://127.0.0.1:${plainPort}/`, { agent, method: 'POST', body: 'two' });
          assert.deepEqual([a.body, b.body], ['one', 'two']);
          assert.equal(a.headers['x-peer'], `127.0.0.1:${a.localPort}`);
          assert.equal(b.headers['x-peer'], a.headers['x-peer'], 'one pooled connection');
          const body = randomBytes(4 << 20);
          const s1 = await postAll({ host: '127.0.0.1', port: securePort, agent: sagent }, body, https);
          assert.equal(sha256(s1.data), sha256(body));
          const s2 = await request(`https://127.0.0.1:${securePort}/`, { agent: sagent, method: 'POST', body: 'tls' });
          assert.equal(s2.body, 'tls');
          assert.equal(s2.headers['x-peer'], `127.0.0.1:${s2.localPort}`, 'the https client socket reports its netpoll local port');
        } finally {
          agent.destroy();
          sagent.destroy();
          await closeServer(plain);
          await closeServer(secure);
        }
      });
    });

    test('ws: Node\'s net client to serveHttp and NetpollAgent to a plain ws server; text, 1 MiB binary, ping, close code', () => withNp(make, async (np) => {
      const onNetpoll = http.createServer();
      const wss1 = wsEcho(onNetpoll);
      const { port } = await serveOn(np, onNetpoll);
      const plain = http.createServer();
      const wss2 = wsEcho(plain);
      const plainPort = await listenPlain(plain);
      const agent = new NetpollAgent({ netpoll: np });
      try {
        for (const [name, open] of [
          ['net -> serveHttp', () => new WebSocket(`ws://127.0.0.1:${port}/`)],
          ['NetpollAgent -> node:http', () => new WebSocket(`ws://127.0.0.1:${plainPort}/`, { agent })],
        ] as const) {
          const ws = open();
          await once(ws, 'open');
          ws.send('hello');
          assert.equal((await nextMessage(ws)).toString(), 'hello', name);
          const blob = randomBytes(1 << 20);
          ws.send(blob);
          const back = await nextMessage(ws);
          assert.equal(sha256(back), sha256(blob), name);
          const pong = once(ws, 'pong');
          ws.ping('p1');
          assert.equal(String((await pong)[0]), 'p1', name);
          ws.close(4001, 'bye');
          const [code, reason] = await once(ws, 'close') as [number, Buffer];
          assert.equal(code, 4001, name);
          assert.equal(String(reason), 'bye', name);
        }
      } finally {
        agent.destroy();
        wss1.close();
        wss2.close();
        onNetpoll.closeAllConnections();
        plain.closeAllConnections();
        await closeServer(onNetpoll);
        await closeServer(plain);
      }
    }));

    test('wss over serveHttp (https.Server): a TLS WebSocket echoes a 1 MiB message', async (t) => {
      const kp = selfSigned();
      if (kp === null) { t.skip('openssl is not installed'); return; }
      await withNp(make, async (np) => {
        const server = https.createServer({ key: kp.key, cert: kp.cert });
        const wss = wsEcho(server);
        const { port } = await serveOn(np, server);
        try {
          const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: kp.cert });
          await once(ws, 'open');
          const blob = randomBytes(1 << 20);
          ws.send(blob);
          assert.equal(sha256(await nextMessage(ws)), sha256(blob));
          ws.close();
          await once(ws, 'close');
        } finally {
          wss.close();
          server.closeAllConnections();
          await closeServer(server);
        }
      });
    });

    test('graceful close(): a 16 MiB response streaming to a slow reader finishes whole, idle connections go, new ones are refused', () => withNp(make, async (np) => {
      const big = randomBytes(16 << 20);
      const server = http.createServer((req, res) => {
        if (req.url !== '/big') { res.end('small'); return; }
        res.setHeader('content-length', big.length);
        writeInPieces(res, big, 256 << 10);
      });
      const { port, done } = await serveOn(np, server);
      const idleAgent = new http.Agent({ keepAlive: true });
      try {
        await request(`http://127.0.0.1:${port}/`, { agent: idleAgent }); // an idle kept-alive connection
        const closed = once(server, 'close');
        const received = new Promise<Buffer>((resolve, reject) => {
          http.get(`http://127.0.0.1:${port}/big`, (res) => {
            const chunks: Buffer[] = [];
            let paused = false;
            res.on('data', (d: Buffer) => {
              chunks.push(d);
              if (chunks.length === 1) {
                // The response has started: close the server while it is in flight.
                server.close();
              }
              if (!paused && chunks.length % 16 === 0) {
                // A slow reader: the server's writes back up meanwhile.
                paused = true;
                res.pause();
                setTimeout(() => { paused = false; res.resume(); }, 10);
              }
            });
            res.on('end', () => resolve(Buffer.concat(chunks)));
            res.on('error', reject);
          }).on('error', reject);
        });
        await done; // the listener closes at once
        // The idle connection is closed by close(); the streaming one stays.
        for (let i = 0; i < 1000 && await connections(server) !== 1; i++) await sleep(10);
        assert.equal(await connections(server), 1);
        await assert.rejects(request(`http://127.0.0.1:${port}/`), { code: 'ECONNREFUSED' });
        const got = await received;
        assert.equal(got.length, big.length);
        assert.equal(sha256(got), sha256(big));
        // Its response done, that connection is an idle keep-alive one (Node's own
        // server keeps it until keepAliveTimeout too): closing idle ones ends the server.
        server.closeIdleConnections();
        await closed;
        assert.equal(await connections(server), 0);
      } finally {
        idleAgent.destroy();
        server.closeAllConnections();
        await closeServer(server);
      }
    }));
  });
}
