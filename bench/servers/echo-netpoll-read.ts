// netpoll echo with Go's own read: `conn.read(buf)` into a buffer the
// connection keeps, then `conn.write(buf, 0, n)`, as the Go server in this
// bench does (`c.Read(buf)` into 32 KiB made per connection). It costs 32 KiB
// per connection, which readChunk() (examples/echo-server.ts) avoids; what it
// saves is a fresh chunk per read, the cost that dominates a bulk transfer.
// Usage: node --import tsx bench/servers/echo-netpoll-read.ts 127.0.0.1:PORT
import { listen, type Conn } from '../../src/net/index.ts';

const BUF_SIZE = 32 * 1024;

async function serve(conn: Conn): Promise<void> {
  const buf = new Uint8Array(BUF_SIZE);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      await conn.write(buf, 0, n);
    }
  } catch {
    // reset by peer, broken pipe: this connection is over either way
  } finally {
    conn.close();
  }
}

const address = process.argv[2] ?? '127.0.0.1:0';
const ln = await listen('tcp', address);
// The harness always passes a concrete port, so the address is the one bound.
process.stdout.write(`listening on ${address}\n`);
for await (const conn of ln) void serve(conn);
