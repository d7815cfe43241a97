// serveHttp against HTTP clients that are not Node: curl (a 20 MiB upload
// with Expect: 100-continue echoed back, https with a self-signed CA), wrk
// (many keep-alive connections at once) and Python's socket + ssl modules
// (pipelined requests over TLS, a slowloris client sending its headers a
// byte at a time). Each part is skipped only where the program is missing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendCases } from '../helpers/backends.ts';
import { closeServer, request, selfSigned, serveOn, sha256 } from '../helpers/node.ts';
import { has, run } from '../helpers/programs.ts';

const curl = has('curl', ['--version']);
const wrk = has('wrk', ['-v']) || has('sh', ['-c', 'command -v wrk']);
const python = has('python3', ['-c', 'import ssl, socket']);

function tmp(): { dir: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'netpoll-http-peers-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An echo server: the request body back, with the method and the peer's port in headers. */
function echoServer(): http.Server {
  return http.createServer((req, res) => {
    res.setHeader('x-method', req.method ?? '');
    res.setHeader('x-peer-port', String(req.socket.remotePort));
    req.pipe(res);
  });
}

// Python: three pipelined requests in one TLS write (the last asks to close),
// then everything until the server closes; prints the local port, the TLS
// version and the bytes received.
const PY_TLS = `
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
raw = socket.create_connection(('127.0.0.1', port), timeout=20)
s = ctx.wrap_socket(raw, server_hostname='localhost')
reqs = b''.join(b'GET /%d HTTP/1.1\\r\\nHost: localhost\\r\\n%s\\r\\n' % (i, b'Connection: close\\r\\n' if i == 3 else b'') for i in (1, 2, 3))
s.sendall(reqs)
got = b''
while True:
    d = s.recv(65536)
    if not d:
        break
    got += d
sys.stdout.write('%d %s\\n' % (s.getsockname()[1], s.version()))
sys.stdout.write(got.decode('latin1'))
`;

// Python slowloris: the request head one byte at a time, 20 ms apart, with a
// header that never ends, until the server answers or closes (bounded);
// prints how many bytes it sent, then what it received.
const PY_SLOWLORIS = `
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
s.settimeout(0.02)
head = b'GET / HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: '
got, sent, closed = b'', 0, False
end = time.time() + 20
while time.time() < end and not closed:
    try:
        s.send(head[sent:sent + 1] if sent < len(head) else b'a')
        sent += 1
    except OSError:
        break
    try:
        d = s.recv(4096)
        if d:
            got += d
        else:
            closed = True
    except socket.timeout:
        pass
    except OSError:
        break
s.settimeout(5)
try:
    while not closed:
        d = s.recv(4096)
        if not d:
            break
        got += d
except OSError:
    pass
sys.stdout.write('%d\\n' % sent)
sys.stdout.write(got.decode('latin1'))
`;

for (const { backend, skip, make } of backendCases) {
  describe(`serveHttp with curl, wrk and Python (${backend})`, { skip: skip ?? false }, () => {
    test('curl: a 20 MiB upload (Expect: 100-continue) echoed back whole, compared by hash', { skip: curl ? false : 'no curl' }, async () => {
      const np = make();
      const server = echoServer();
      let continues = 0;
      server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
        continues++;
        res.writeContinue();
        server.emit('request', req, res);
      });
      const { port } = await serveOn(np, server);
      const t = tmp();
      try {
        const body = randomBytes(20 << 20);
        const inFile = join(t.dir, 'in'), outFile = join(t.dir, 'out');
        writeFileSync(inFile, body);
        const r = await run('curl', ['-sS', '--fail', '-D', '-', '-o', outFile, '--data-binary', `@${inFile}`,
          '-H', 'Content-Type: application/octet-stream', `http://127.0.0.1:${port}/echo`], { timeoutMs: 60_000 });
        assert.equal(r.code, 0, `curl failed: ${r.err}`);
        assert.match(r.out, /^HTTP\/1\.1 100 Continue/, 'curl asked for 100-continue and got it');
        assert.match(r.out, /HTTP\/1\.1 200 OK/);
        assert.match(r.out, /x-method: POST/i);
        assert.equal(continues, 1);
        const echoed = readFileSync(outFile);
        assert.equal(echoed.length, body.length);
        assert.equal(sha256(echoed), sha256(body));
      } finally {
        t.done();
        await closeServer(server);
        np.shutdown();
      }
    });

    test('curl over https: a self-signed CA verifies, the server sees curl\'s own port', { skip: curl ? false : 'no curl' }, async (t) => {
      const kp = selfSigned();
      if (kp === null) { t.skip('openssl is not installed'); return; }
      const np = make();
      const server = https.createServer({ key: kp.key, cert: kp.cert }, (req, res) => {
        res.end(`${req.socket.remoteAddress} ${req.socket.remotePort} ${req.url}`);
      });
      const { port } = await serveOn(np, server);
      const d = tmp();
      try {
        const ca = join(d.dir, 'ca.pem');
        writeFileSync(ca, kp.cert);
        const r = await run('curl', ['-sS', '--fail', '--cacert', ca, '-w', ' %{local_port} %{http_version}\n',
          `https://localhost:${port}/a`, `https://localhost:${port}/b`], { timeoutMs: 30_000 });
        assert.equal(r.code, 0, `curl failed: ${r.err}`);
        const lines = r.out.trim().split('\n');
        assert.equal(lines.length, 2);
        for (const [i, line] of lines.entries()) {
          const [addr, seenPort, url, localPort, version] = line.split(' ');
          assert.equal(addr, '127.0.0.1');
          assert.equal(url, i === 0 ? '/a' : '/b');
          assert.equal(seenPort, localPort, 'req.socket.remotePort is curl\'s local port');
          assert.equal(version, '1.1');
        }
        // Both URLs went over one kept-alive TLS connection.
        assert.equal(lines[0]!.split(' ')[1], lines[1]!.split(' ')[1]);
        // A client that does not trust the certificate is refused by curl, and the server goes on.
        const untrusted = await run('curl', ['-sS', `https://localhost:${port}/`], { timeoutMs: 30_000 });
        assert.notEqual(untrusted.code, 0);
        assert.equal((await request(`https://127.0.0.1:${port}/c`, { ca: kp.cert }, https)).status, 200);
      } finally {
        d.done();
        await closeServer(server);
        np.shutdown();
      }
    });

    test('wrk: 8 keep-alive connections for a second, no errors, every request served', { skip: wrk ? false : 'no wrk' }, async () => {
      const np = make();
      let served = 0;
      const server = http.createServer((_req, res) => { served++; res.end('hello from netpoll\n'); });
      const { port, done } = await serveOn(np, server);
      try {
        const r = await run('wrk', ['-t1', '-c8', '-d1s', `http://127.0.0.1:${port}/`], { timeoutMs: 60_000 });
        assert.equal(r.code, 0, `wrk failed: ${r.err}`);
        const total = /(\d+) requests in/.exec(r.out);
        assert.ok(total, r.out);
        const n = Number(total[1]);
        assert.ok(n > 0, r.out);
        assert.doesNotMatch(r.out, /Socket errors/, r.out);
        assert.doesNotMatch(r.out, /Non-2xx/, r.out);
        assert.ok(served >= n, `served ${served}, wrk counted ${n}`);
      } finally {
        // wrk has gone: its connections close and the server with them.
        await closeServer(server);
        await done;
        np.shutdown();
      }
    });

    test('Python ssl: three pipelined requests in one TLS write, answered in order, then closed', { skip: python ? false : 'no python3' }, async (t) => {
      const kp = selfSigned();
      if (kp === null) { t.skip('openssl is not installed'); return; }
      const np = make();
      const server = https.createServer({ key: kp.key, cert: kp.cert }, (req, res) => {
        res.end(`[${req.url} from ${req.socket.remotePort}]`);
      });
      const { port } = await serveOn(np, server);
      const d = tmp();
      try {
        const ca = join(d.dir, 'ca.pem');
        writeFileSync(ca, kp.cert);
        const r = await run('python3', ['-c', PY_TLS, String(port), ca], { timeoutMs: 30_000 });
        assert.equal(r.code, 0, `python failed: ${r.err}`);
        const [first, ...rest] = r.out.split('\n');
        const [localPort, version] = first!.split(' ');
        assert.match(version!, /^TLSv1\.[23]$/);
        const got = rest.join('\n');
        assert.equal((got.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 3, got);
        const bodies = [...got.matchAll(/\[(\/\d) from (\d+)\]/g)].map((m) => `${m[1]}:${m[2]}`);
        assert.deepEqual(bodies, [`/1:${localPort}`, `/2:${localPort}`, `/3:${localPort}`]);
      } finally {
        d.done();
        await closeServer(server);
        np.shutdown();
      }
    });

    test('Python slowloris: headers sent a byte at a time get 408 and a closed connection; others are still served', { skip: python ? false : 'no python3' }, async () => {
      const np = make();
      const server = http.createServer({ headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 }, (_req, res) => res.end('ok'));
      const { port } = await serveOn(np, server);
      try {
        const slow = run('python3', ['-c', PY_SLOWLORIS, String(port)], { timeoutMs: 30_000 });
        // Meanwhile a normal client is served.
        assert.equal((await request(`http://127.0.0.1:${port}/`)).body, 'ok');
        const r = await slow;
        assert.equal(r.code, 0, `python failed: ${r.err}`);
        const [sent, ...rest] = r.out.split('\n');
        // The answer came while the head was still arriving, byte by byte.
        assert.ok(Number(sent) > 1, `the client sent ${sent} bytes`);
        assert.match(rest.join('\n'), /^HTTP\/1\.1 408 Request Timeout/);
        assert.equal((await request(`http://127.0.0.1:${port}/`)).body, 'ok');
      } finally {
        await closeServer(server);
        np.shutdown();
      }
    });
  });
}
