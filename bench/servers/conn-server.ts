// What the bench's own Conn echo servers share: listen on the address the
// harness passes, say so, and run one loop per connection until the peer or
// an error ends it, closing the connection either way. Each server file
// only says what its loop does per connection.
import { listen, type Conn } from '../../src/net/index.ts';

/** Serves every accepted connection with `loop`; a throw (reset by peer, broken pipe, deadline) ends that connection only. */
export async function serveConns(loop: (conn: Conn) => Promise<void>): Promise<void> {
  const address = process.argv[2] ?? '127.0.0.1:0';
  const ln = await listen('tcp', address);
  // The harness always passes a concrete port, so the address is the one bound.
  process.stdout.write(`listening on ${address}\n`);
  for await (const conn of ln) {
    void loop(conn).catch(() => undefined).finally(() => conn.close());
  }
}
