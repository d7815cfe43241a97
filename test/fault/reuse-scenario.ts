// Descriptor reuse race, run in a child process: each cycle parks a read on
// socket A, makes A readable and, from inside the very drain that is about
// to deliver A's readiness (the readiness callback of another descriptor X
// earlier in the same batch), closes A, opens a new socket that takes A's
// number and parks a read on it. The stale event later in the batch must
// not wake the new owner. With `dup`, A's file stays open through a dup and
// its peer writes again after the reuse: the old file's readiness must not
// reach the new owner either (real kqueue drops knotes on close; epoll keys
// registrations by file).
//
// A wake-up of the new owner while its socket has nothing to read is a
// misdelivery. Prints one JSON line: cycles, how often the number was
// reused, how often the window was hit (A's readiness still undelivered when
// the close ran inside the drain), misdeliveries.
//
//   node --import tsx test/fault/reuse-scenario.ts '{"backend":"epoll","driver":"loop","dup":true,"cycles":1000}'
import { Netpoll, type Parker, type PollDesc } from '../../src/netpoll/index.ts';
import { C } from '../../src/sys/constants.ts';
import { libc } from '../../src/sys/libc-handle.ts';
import { close, read, write } from '../../src/sys/libc.ts';
import { socketpair } from '../../src/sys/socket.ts';

interface Params { backend: 'epoll' | 'kqueue'; driver: 'loop' | 'worker'; dup: boolean; cycles: number }
const p = JSON.parse(process.argv[2] ?? '{}') as Params;
const dupC = libc.func('int dup(int fd)') as (fd: number) => number;

const one = Uint8Array.of(1);
const sink = new Uint8Array(64);
const sv = new Int32Array(2);
function pair(): [number, number] {
  const e = socketpair(C.AF_UNIX, C.SOCK_STREAM, 0, sv);
  if (e < 0) throw new Error(`socketpair: errno ${-e}`);
  return [sv[0]!, sv[1]!];
}

class Flag implements Parker {
  fired = false;
  failed: Error | null = null;
  constructor(private readonly onReady: (() => void) | null = null) {}
  pdReady(): void { this.fired = true; this.onReady?.(); }
  pdFail(_m: 'r' | 'w', err: Error): void { this.failed = err; }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 200_000) throw new Error(`reuse: timed out waiting for ${what}`);
    await turn();
  }
}

async function main(): Promise<void> {
  const np = new Netpoll({ backend: p.backend, driver: p.driver });
  const [x, bx] = pair();
  const pdX = np.open(x);
  let reused = 0, windowHits = 0, misdelivered = 0, oldFailedRight = 0;

  for (let i = 0; i < p.cycles; i++) {
    const [a, b] = pair();
    const pdA = np.open(a);
    const pa = new Flag();
    if (pdA.park('r', pa)) throw new Error('A was ready before anything was written');
    const d = p.dup ? dupC(a) : -1;
    // A's registration made it writable: let a drain take that event, so that
    // A's readiness below comes after X's in the next batch.
    const warm = new Flag(() => read(x, sink, sink.length));
    if (pdX.park('r', warm)) throw new Error('X ready at once');
    write(bx, one, 1);
    await until('the warm-up drain', () => warm.fired);

    let a2 = -1, b2 = -1;
    let pdN: PollDesc | null = null;
    const pn = new Flag(() => {
      // A read wake with nothing to read on the new socket came from someone else's event.
      const n = read(a2, sink, sink.length);
      if (n === -C.EAGAIN) misdelivered++;
    });
    const px = new Flag(() => {
      read(x, sink, sink.length);
      if (!pa.fired) windowHits++;
      np.close(pdA);
      close(a);
      [a2, b2] = pair();
      if (a2 === a) reused++;
      pdN = np.open(a2);
      if (pdN.park('r', pn)) throw new Error('the new socket was ready at once');
    });
    if (pdX.park('r', px)) throw new Error('X ready at once');
    // X first, then A: one batch delivers X's readiness before A's.
    write(bx, one, 1);
    write(b, one, 1);
    await until('X to wake', () => px.fired);
    if (!pa.fired && pa.failed !== null) oldFailedRight++;

    // The old file (through the dup) gets data after the reuse; a sentinel on X tells when a drain has passed.
    const sentinel = new Flag(() => read(x, sink, sink.length));
    if (p.dup) write(b, one, 1);
    if (pdX.park('r', sentinel)) throw new Error('X ready at once');
    write(bx, one, 1);
    await until('the sentinel', () => sentinel.fired);
    await turn();

    // The new owner still wakes for its own data.
    const misBefore = misdelivered;
    if (!pn.fired) {
      write(b2, one, 1);
      await until('the new owner to wake', () => pn.fired);
      if (misdelivered !== misBefore) throw new Error('the new owner woke for its own data but read nothing');
    }
    np.close(pdN!);
    close(a2); close(b2); close(b);
    if (d >= 0) close(d);
  }
  np.close(pdX);
  close(x); close(bx);
  np.shutdown();
  process.stdout.write(JSON.stringify({ ...p, reused, windowHits, misdelivered, oldFailedRight }) + '\n');
}

await main();
