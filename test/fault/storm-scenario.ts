// A reset storm against a netpoll echo server, run in a child process:
// node:net peers that reset (SO_LINGER 0, through resetAndDestroy) before,
// while and after sending, with the server's writes still queued, half-close,
// or stall and then vanish, at random points. The server must survive (a
// clean echo works afterwards), settle every handler, and give back every
// descriptor. Prints one JSON line.
//
//   node --import tsx test/fault/storm-scenario.ts '{"mode":"chunk","conns":400,"seed":1,"backend":"epoll"}'
import { connect, type Socket } from 'node:net';
import { Netpoll } from '../../src/netpoll/index.ts';
import { listen, serve, type Conn, type Listener } from '../../src/net/index.ts';
import { isClosedError } from '../../src/net/errors.ts';
import { faultCounts } from '../../src/sys/faults.ts';
import { errorTally, prng, shutdownNetpoll } from './frames.ts';
import { sleep } from '../helpers/async.ts';
import { socketFds } from '../helpers/fds.ts';

interface Params { mode: 'chunk' | 'serve'; conns: number; seed: number; backend: 'epoll' | 'kqueue'; driver?: 'loop' | 'worker' }
const p = JSON.parse(process.argv[2] ?? '{}') as Params;


let started = 0, settled = 0;
const serverErrors: Record<string, number> = {};
const countError = errorTally(serverErrors);

async function handle(conn: Conn): Promise<void> {
  started++;
  try {
    for (let c = await conn.readChunk(); c !== null; c = await conn.readChunk()) await conn.write(c);
    conn.closeWrite();
  } catch (e) {
    countError(e);
  } finally {
    try { await conn.close(); } catch (e) { countError(e); }
    settled++;
  }
}

async function acceptLoop(ln: Listener): Promise<void> {
  for (;;) {
    let conn: Conn;
    try { conn = await ln.accept(); } catch (e) {
      if (isClosedError(e)) return;
      countError(e);
      await sleep(2);
      continue;
    }
    void handle(conn);
  }
}

type Kind = 'rst-early' | 'rst-mid' | 'rst-unread' | 'half-close' | 'stall-fin' | 'stall-rst' | 'end-early';
const KINDS: Kind[] = ['rst-early', 'rst-mid', 'rst-unread', 'half-close', 'stall-fin', 'stall-rst', 'end-early'];

function peer(port: number, rand: () => number): Promise<{ kind: Kind; ok: boolean }> {
  const kind = KINDS[Math.floor(rand() * KINDS.length)]!;
  const size = 1 + Math.floor(rand() ** 2 * 512 * 1024);
  const payload = new Uint8Array(size).fill(kind.length);
  const at = Math.floor(rand() * size);
  const stallMs = Math.floor(rand() * 200);
  return new Promise((resolve) => {
    const s: Socket = connect({ port, host: '127.0.0.1' });
    let got = 0;
    let done = false;
    const finish = (ok: boolean): void => { if (!done) { done = true; resolve({ kind, ok }); } };
    s.on('error', () => { /* expected for the resets */ });
    s.on('close', () => finish(kind !== 'half-close' || got === size));
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (kind === 'rst-mid' && got >= at) s.resetAndDestroy();
    });
    s.on('connect', () => {
      switch (kind) {
        case 'rst-early': s.resetAndDestroy(); break;
        case 'end-early': s.end(); break;
        case 'rst-mid': s.write(payload); break;
        case 'rst-unread': s.pause(); s.write(payload, () => setTimeout(() => s.resetAndDestroy(), stallMs)); break;
        case 'half-close': s.end(payload); break;
        case 'stall-fin': s.pause(); s.write(payload); setTimeout(() => s.destroy(), stallMs); break;
        case 'stall-rst': s.pause(); s.write(payload.subarray(0, at)); setTimeout(() => s.resetAndDestroy(), stallMs); break;
      }
    });
  });
}

/** A clean echo after the storm: the server still serves. */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    let got = '';
    s.on('error', () => resolve(false));
    s.on('data', (d: Buffer) => { got += d.toString(); });
    s.on('close', () => resolve(got === 'still here'));
    s.on('connect', () => s.end('still here'));
  });
}

async function main(): Promise<void> {
  const before = socketFds();
  const np = new Netpoll({ backend: p.backend, driver: p.driver ?? 'loop' });
  const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
  const port = Number(String(ln.addr).split(':').pop());
  const serving = p.mode === 'serve'
    ? serve(ln, {
      onConnect() { started++; },
      onData(c, chunk) { c.write(chunk); },
      onError(_c, e) { countError(e); },
      onClose() { settled++; },
    }, { allowHalfOpen: false })
    : acceptLoop(ln);
  const rand = prng(p.seed);
  const peers: Promise<{ kind: Kind; ok: boolean }>[] = [];
  for (let i = 0; i < p.conns; i++) {
    peers.push(peer(port, rand));
    if (i % 100 === 99) await sleep(5);
  }
  const results = await Promise.all(peers);
  for (let i = 0; i < 2000 && settled < started; i++) await sleep(5);
  const probed = await probe(port);
  for (let i = 0; i < 2000 && settled < started; i++) await sleep(5);
  await ln.close();
  await serving;
  await shutdownNetpoll(np);
  const kinds: Record<string, number> = {};
  for (const r of results) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
  process.stdout.write(JSON.stringify({
    ...p, kinds, halfCloseEchoed: results.filter((r) => r.kind === 'half-close' && r.ok).length,
    halfClose: kinds['half-close'] ?? 0, probed, started, settled, serverErrors, faults: faultCounts(),
    leaked: [...socketFds()].filter((x) => !before.has(x)),
  }) + '\n');
}

await main();
