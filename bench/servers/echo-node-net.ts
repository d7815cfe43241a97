// node:net echo server written the idiomatic fast way: 'data' → write, no
// delay. The baseline every ratio is taken against.
// Usage: node --import tsx bench/servers/echo-node-net.ts 127.0.0.1:PORT
import net from 'node:net';

const arg = process.argv[2] ?? '127.0.0.1:0';
const colon = arg.lastIndexOf(':');
const host = arg.slice(0, colon);
const port = Number(arg.slice(colon + 1));

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => {
    socket.write(chunk);
  });
  // A peer that resets is normal under load; it must not kill the server.
  socket.on('error', () => socket.destroy());
});

server.listen(port, host, () => {
  const a = server.address();
  const p = typeof a === 'object' && a !== null ? a.port : port;
  process.stdout.write(`listening on ${host}:${p}\n`);
});
