// The stream adapters over an in-memory DuplexIO (the socket versions are in conn.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { toNodeStream, webStreams, type DuplexIO } from '../../src/net/streams.ts';
import { NetClosingError } from '../../src/netpoll/errors.ts';

/** One direction: write() queues bytes (bounded, so writers wait), read() takes them. */
class MemPipe implements DuplexIO {
  private chunks: Uint8Array[] = [];
  private queued = 0;
  private eof = false;
  closed = false;
  writesDone = false;
  maxQueued = 0;
  private wakeReader: (() => void) | null = null;
  private wakeWriter: (() => void) | null = null;
  constructor(private readonly limit = 1 << 16) {}

  async read(buf: Uint8Array, offset = 0, length = buf.length - offset): Promise<number | null> {
    for (;;) {
      if (this.closed) throw new NetClosingError();
      if (this.chunks.length > 0) {
        const head = this.chunks[0]!;
        const n = Math.min(length, head.length);
        buf.set(head.subarray(0, n), offset);
        if (n === head.length) this.chunks.shift(); else this.chunks[0] = head.subarray(n);
        this.queued -= n;
        this.wakeWriter?.();
        return n;
      }
      if (this.eof) return null;
      await new Promise<void>((r) => { this.wakeReader = r; });
    }
  }

  async write(buf: Uint8Array, offset = 0, length = buf.length - offset): Promise<number> {
    let done = 0;
    while (done < length) {
      if (this.closed) throw new NetClosingError();
      if (this.queued >= this.limit) { await new Promise<void>((r) => { this.wakeWriter = r; }); continue; }
      const n = Math.min(length - done, this.limit - this.queued);
      this.chunks.push(buf.slice(offset + done, offset + done + n));
      this.queued += n;
      this.maxQueued = Math.max(this.maxQueued, this.queued);
      done += n;
      this.wakeReader?.();
    }
    return done;
  }

  closeWrite(): void { this.eof = true; this.writesDone = true; this.wakeReader?.(); }
  close(): void { this.closed = true; this.wakeReader?.(); this.wakeWriter?.(); }
}

test('readable: every chunk is its own memory, EOF closes the stream', async () => {
  const io = new MemPipe();
  const { readable } = webStreams(io, { chunkSize: 8 });
  void (async () => {
    for (let i = 0; i < 5; i++) await io.write(new Uint8Array(8).fill(i));
    await io.write(Uint8Array.of(9));
    io.closeWrite();
  })();
  const seen: Uint8Array[] = [];
  for await (const c of readable) seen.push(c);
  assert.deepEqual(seen.map((c) => [...c]), [0, 1, 2, 3, 4].map((i) => new Array(8).fill(i)).concat([[9]]));
  assert.equal(new Set(seen.map((c) => c.buffer)).size, seen.length); // no two chunks share memory
});

test('writable: pipeTo writes everything, close() half-closes', async () => {
  const io = new MemPipe();
  const { writable, readable } = webStreams(io);
  const data = randomBytes(300_000);
  const src = new ReadableStream<Uint8Array>({ start(c) { for (let i = 0; i < data.length; i += 10_000) c.enqueue(data.subarray(i, i + 10_000)); c.close(); } });
  const got: Uint8Array[] = [];
  await Promise.all([src.pipeTo(writable), (async () => { for await (const c of readable) got.push(c); })()]);
  assert.ok(io.writesDone);
  assert.ok(Buffer.concat(got).equals(data));
  assert.ok(io.closed, 'both halves done: closed');
});

test('readable: cancel closes the connection', async () => {
  const io = new MemPipe();
  const { readable } = webStreams(io);
  const r = readable.getReader();
  const pending = r.read();
  await r.cancel();
  assert.ok(io.closed);
  assert.deepEqual(await pending, { done: true, value: undefined });
});

test('toNodeStream: pipeline keeps backpressure (bounded queue) and the bytes', async () => {
  const io = new MemPipe(1 << 14);
  const duplex = toNodeStream(io);
  const data = randomBytes(1 << 20);
  const sink: Buffer[] = [];
  await Promise.all([
    pipeline(Readable.from([data.subarray(0, 1 << 19), data.subarray(1 << 19)]), duplex),
    (async () => { for await (const c of duplex) sink.push(c as Buffer); })(),
  ]);
  assert.ok(Buffer.concat(sink).equals(data));
  assert.ok(io.maxQueued <= 1 << 14);
  assert.ok(io.writesDone);
});

test('toNodeStream: destroy closes, a closed error after destroy is not raised', async () => {
  const io = new MemPipe();
  const duplex = toNodeStream(io);
  duplex.resume();
  duplex.destroy();
  await new Promise((r) => duplex.once('close', r));
  assert.ok(io.closed);
});
