// Reads a named pipe with a read deadline: os.File on the poller. The open
// waits (on Node's thread pool, never the loop) for a writer; each read
// gives up after the idle time and the loop goes on.
// Run: node --import tsx examples/fifo-reader.ts /tmp/my.fifo [idleMs=1000]
//      (then, elsewhere: mkfifo /tmp/my.fifo; echo hi > /tmp/my.fifo)
import { isTimeoutError } from '../src/net/index.ts';
import { openFile } from '../src/os/index.ts';

const [path, idle = '1000'] = process.argv.slice(2);
if (!path) throw new Error('usage: fifo-reader.ts <fifo> [idleMs]');
const fifo = await openFile(path, 'r');
for (;;) {
  fifo.setReadDeadline(Date.now() + Number(idle));
  let chunk;
  try {
    chunk = await fifo.readChunk();
  } catch (e) {
    if (!isTimeoutError(e)) throw e;
    console.log('(idle)');
    continue;
  }
  if (chunk === null) break; // the last writer closed
  process.stdout.write(chunk);
}
await fifo.close();
