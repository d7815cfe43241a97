// The same node:http server on netpoll connections (serveHttp): the
// measured side of the http scenario. Prints "listening on HOST:PORT".
import http from 'node:http';
import { listen } from '../../src/net/index.ts';
import { serveHttp } from '../../src/node/index.ts';

const address = process.argv[2] ?? '127.0.0.1:0';
const body = Buffer.from('hello world\n');
const server = http.createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(body);
});
const ln = await listen('tcp', address);
void serveHttp(ln, server);
process.stdout.write(`listening on ${ln.addr.toString()}\n`);
