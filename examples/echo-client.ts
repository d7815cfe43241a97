// Sends a message (or stdin) to an echo server, half-closes, and prints what
// comes back with the round trip time.
// Usage: node --import tsx examples/echo-client.ts [address] [message...]
//        echo hello | node --import tsx examples/echo-client.ts 127.0.0.1:7007
import { dial } from '../src/index.ts';

const address = process.argv[2] ?? '127.0.0.1:7007';
const words = process.argv.slice(3);
let message: Uint8Array;
if (words.length > 0) {
  message = new TextEncoder().encode(words.join(' ') + '\n');
} else {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  message = Buffer.concat(chunks);
}

const conn = await dial('tcp', address, { timeout: 5000 }).catch((e: Error) => {
  console.error(e.message); // e.g. "dial tcp 127.0.0.1:7007: connect: connection refused"
  process.exit(1);
});
try {
  const t0 = performance.now();
  const reading = (async () => {
    const buf = new Uint8Array(64 * 1024);
    let total = 0;
    // stdout may write later: hand it a copy, buf is read into again at once.
    for (let n; (n = await conn.read(buf)) !== null; total += n) process.stdout.write(buf.slice(0, n));
    return total;
  })();
  await conn.write(message);
  conn.closeWrite(); // the server sees EOF once everything is sent
  const echoed = await reading;
  const ms = (performance.now() - t0).toFixed(2);
  console.error(`${conn.localAddr} -> ${conn.remoteAddr}: ${message.length} bytes sent, ${echoed} echoed in ${ms} ms`);
  if (echoed !== message.length) process.exitCode = 1;
} finally {
  await conn.close();
}
