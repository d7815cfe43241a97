// An echo server on netpoll: one async read/write loop per connection, each
// with its own buffer (Go's `go serve(conn)`).
// Usage: node --import tsx examples/echo-server.ts [address]   (default 127.0.0.1:7007)
import { listen, type Conn } from '../src/index.ts';

async function serve(conn: Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return; // the peer is done sending
      await conn.write(buf, 0, n); // all n bytes, or it throws
    }
  } catch {
    // reset by peer, broken pipe: this connection is over either way
  } finally {
    conn.close();
  }
}

const ln = await listen('tcp', process.argv[2] ?? '127.0.0.1:7007');
console.log(`listening on ${ln.addr}`);
for await (const conn of ln) void serve(conn);
