// An echo server on netpoll: one async read/write loop per connection
// (Go's `go serve(conn)`). readChunk() waits for data holding no buffer and
// then hands over a chunk of its own, so an idle connection costs only its
// parked loop; conn.read(buf) into a buffer of yours works as well.
// Usage: node --import tsx examples/echo-server.ts [address]   (default 127.0.0.1:7007)
import { listen, type Conn } from '../src/index.ts';

async function serve(conn: Conn): Promise<void> {
  try {
    for (;;) {
      const chunk = await conn.readChunk();
      if (chunk === null) return; // the peer is done sending
      await conn.write(chunk); // all of it, or it throws
    }
  } catch {
    // reset by peer, broken pipe: this connection is over either way
  } finally {
    conn.close();
  }
}

// A full descriptor table (EMFILE) pauses the loop below, 5 ms doubling to
// 1 s as Go's servers do, instead of ending it; this says so.
const ln = await listen('tcp', process.argv[2] ?? '127.0.0.1:7007', {
  onAcceptError: (e, retryInMs) => console.error(`${e.message}; retrying in ${retryInMs} ms`),
});
console.log(`listening on ${ln.addr}`);
for await (const conn of ln) void serve(conn);
