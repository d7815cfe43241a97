// UDP echo server on node:dgram: 'message' → send back to rinfo.
// Usage: node --import tsx echo-dgram.ts 127.0.0.1:PORT
import { createSocket } from 'node:dgram';

const [host, port] = (process.argv[2] ?? '127.0.0.1:0').split(':') as [string, string];
const s = createSocket('udp4');
s.on('message', (msg, rinfo) => { s.send(msg, rinfo.port, rinfo.address); });
s.bind(Number(port), host, () => {
  const a = s.address();
  console.log(`listening on ${a.address}:${a.port}`);
});
