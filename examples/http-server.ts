// Node's own http.Server on netpoll connections: serveHttp() instead of
// server.listen(). Everything http does with a socket works: keep-alive
// timeouts, slowloris protection (headersTimeout), req.socket.remoteAddress,
// 'upgrade', server.close() with graceful shutdown. SIGTERM or SIGINT stops
// accepting, lets requests in flight finish, and exits when the last
// connection has closed.
// Usage: node --import tsx examples/http-server.ts [address]   (default 127.0.0.1:8080)
import http from 'node:http';
import { listen } from '../src/index.ts';
import { serveHttp, stats } from '../src/node/index.ts';

const server = http.createServer((req, res) => {
  if (req.url === '/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats()));
    return;
  }
  res.setHeader('content-type', 'text/plain');
  res.end(`hello ${req.socket.remoteAddress}:${req.socket.remotePort}, you asked for ${req.url}\n`);
});
server.keepAliveTimeout = 5_000;
server.headersTimeout = 10_000;

const ln = await listen('tcp', process.argv[2] ?? '127.0.0.1:8080');
void serveHttp(ln, server);
console.log(`listening on ${ln.addr}`);

const shutdown = (): void => {
  console.log('shutting down');
  // Stops accepting; idle keep-alive connections close now, busy ones after their response.
  server.close(() => console.log('closed'));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
