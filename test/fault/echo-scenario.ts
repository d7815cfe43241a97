// A fault-injected echo, run in a child process with NETPOLL_FAULTS set:
// a netpoll server (one of four ways of serving) and node:net clients (whose
// syscalls no fault touches). Each client sends tagged frames, half-closes,
// and checks every echoed byte against the one sent at that offset. Some
// clients stop reading for a while, so the server's writes meet a full
// socket for real. Prints one JSON line: faults injected, bytes checked,
// connections complete or broken by an injected reset, handlers settled,
// descriptors left behind.
//
//   node --import tsx test/fault/echo-scenario.ts '{"mode":"chunk","conns":1000,"frames":2,"seed":1}'
import { connect, type Socket } from 'node:net';
import { Netpoll } from '../../src/netpoll/index.ts';
import { listen, serve, type Conn, type Listener } from '../../src/net/index.ts';
import { isClosedError } from '../../src/net/errors.ts';
import { faultCounts, FAULTS_ON } from '../../src/sys/faults.ts';
import { errorTally, prng, streamFor, StreamChecker, shutdownNetpoll } from './frames.ts';
import { sleep } from '../helpers/async.ts';
import { socketFds } from '../helpers/fds.ts';

export type EchoMode = 'chunk' | 'read' | 'writev' | 'serve';
export interface EchoParams {
  mode: EchoMode; conns: number; frames: number; seed: number;
  backend?: 'epoll' | 'kqueue'; driver?: 'loop' | 'worker';
}

const p = JSON.parse(process.argv[2] ?? '{}') as EchoParams;


let started = 0, settled = 0;
const serverErrors: Record<string, number> = {};
const countError = errorTally(serverErrors);

async function handle(conn: Conn, rand: () => number): Promise<void> {
  started++;
  try {
    if (p.mode === 'chunk') {
      for (let c = await conn.readChunk(); c !== null; c = await conn.readChunk()) await conn.write(c);
    } else {
      const buf = new Uint8Array(16 * 1024);
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
        if (p.mode === 'read') { await conn.write(buf, 0, n); continue; }
        // writev: the bytes cut into 1–4 pieces (some empty).
        const pieces: Uint8Array[] = [];
        let off = 0;
        for (let k = 1 + Math.floor(rand() * 4); k > 1 && off < n; k--) {
          const m = Math.floor(rand() * (n - off + 1));
          pieces.push(buf.subarray(off, off + m));
          off += m;
        }
        pieces.push(buf.subarray(off, n));
        await conn.writev(pieces);
      }
    }
  } catch (e) {
    countError(e);
  } finally {
    try { await conn.close(); } catch (e) { countError(e); }
    settled++;
  }
}

/** Go's server loop: back off on temporary accept errors (EMFILE), stop when the listener closes. */
async function acceptLoop(ln: Listener, rand: () => number): Promise<void> {
  let backoff = 0;
  for (;;) {
    let conn: Conn;
    try {
      conn = await ln.accept();
    } catch (e) {
      if (isClosedError(e)) return;
      countError(e);
      backoff = backoff === 0 ? 1 : Math.min(backoff * 2, 50);
      await sleep(backoff);
      continue;
    }
    backoff = 0;
    void handle(conn, rand);
  }
}

interface ClientResult { checked: number; complete: boolean; broken: boolean; error: string | null }

function client(port: number, id: number): Promise<ClientResult> {
  const expected = streamFor(p.seed, id, p.frames);
  const check = new StreamChecker(id, expected);
  const rand = prng(p.seed ^ (id * 7919));
  // One in ten stops reading for a while; those send more, so the server's writes meet a full buffer.
  const stall = rand() < 0.1 ? 50 + Math.floor(rand() * 250) : 0;
  return new Promise((resolve) => {
    const s: Socket = connect({ port, host: '127.0.0.1' });
    let broken = false;
    s.on('error', () => { broken = true; });
    s.on('data', (d: Buffer) => check.push(d));
    s.on('close', () => resolve({ checked: check.received, complete: check.complete, broken, error: check.error }));
    s.on('connect', () => {
      if (stall > 0) { s.pause(); setTimeout(() => s.resume(), stall); }
      // Written in a few pieces of random size.
      let off = 0;
      while (off < expected.length) {
        const n = 1 + Math.floor(rand() * (expected.length - off));
        s.write(expected.subarray(off, off + n));
        off += n;
      }
      s.end();
    });
  });
}

async function main(): Promise<void> {
  const before = socketFds();
  const np = new Netpoll({ backend: p.backend ?? 'epoll', driver: p.driver ?? 'loop' });
  const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
  const port = Number(String(ln.addr).split(':').pop());
  const rand = prng(p.seed);
  let serving: Promise<void>;
  if (p.mode === 'serve') {
    serving = serve(ln, {
      onConnect() { started++; },
      onData(c, chunk) { c.write(chunk); },
      onError(_c, e) { countError(e); },
      onClose() { settled++; },
    });
  } else {
    serving = acceptLoop(ln, rand);
  }
  // Dial in waves of 250: the backlog and two shared cores stay sane.
  const results: ClientResult[] = [];
  const all: Promise<void>[] = [];
  for (let id = 0; id < p.conns; id++) {
    all.push(client(port, id).then((r) => { results.push(r); }));
    if (id % 250 === 249) await sleep(5);
  }
  await Promise.all(all);
  // Every server side settles: the clients are gone, so every handler reaches EOF or an error.
  for (let i = 0; i < 2000 && settled < started; i++) await sleep(5);
  await ln.close();
  await serving;
  await shutdownNetpoll(np);
  const leaked = [...socketFds()].filter((x) => !before.has(x));
  const out = {
    mode: p.mode, conns: p.conns, faultsOn: FAULTS_ON,
    bytesChecked: results.reduce((a, r) => a + r.checked, 0),
    complete: results.filter((r) => r.complete).length,
    broken: results.filter((r) => !r.complete && r.error === null).length,
    errors: results.filter((r) => r.error !== null).map((r) => r.error).slice(0, 5),
    started, settled, serverErrors, faults: faultCounts(), leaked,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

await main();
