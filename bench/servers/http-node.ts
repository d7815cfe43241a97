// node:http on Node's own net: the baseline of the http scenario.
// Prints "listening on HOST:PORT" once ready.
import http from 'node:http';

const [host, port] = (process.argv[2] ?? '127.0.0.1:0').split(':') as [string, string];
const body = Buffer.from('hello world\n');
const server = http.createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(body);
});
server.listen(Number(port), host, () => {
  const a = server.address() as { address: string; port: number };
  process.stdout.write(`listening on ${a.address}:${a.port}\n`);
});
