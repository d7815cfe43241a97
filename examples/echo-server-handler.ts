// The echo server of echo-server.ts written with serve(): no async loop and
// no buffer per connection; each chunk is written back before the shared
// read buffer is reused.
// Usage: node --import tsx examples/echo-server-handler.ts [address]   (default 127.0.0.1:7007)
import { listen, serve } from '../src/net/index.ts';

const ln = await listen('tcp', process.argv[2] ?? '127.0.0.1:7007');
console.log(`listening on ${ln.addr}`);
await serve(ln, {
  onData(c, chunk) { c.write(chunk); }, // copies only what the kernel does not take at once
});
