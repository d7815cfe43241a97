// netpoll echo with Go's own read: `conn.read(buf)` into a buffer the
// connection keeps, then `conn.write(buf, 0, n)`, as the Go server in this
// bench does (`c.Read(buf)` into 32 KiB made per connection). It costs 32 KiB
// per connection, which readChunk() (examples/echo-server.ts) avoids; what it
// saves is a fresh chunk per read, the cost that dominates a bulk transfer.
// Usage: node --import tsx bench/servers/echo-netpoll-read.ts 127.0.0.1:PORT
import { serveConns } from './conn-server.ts';

const BUF_SIZE = 32 * 1024;

await serveConns(async (conn) => {
  const buf = new Uint8Array(BUF_SIZE);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return;
    await conn.write(buf, 0, n);
  }
});
