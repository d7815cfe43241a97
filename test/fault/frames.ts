// Tagged frames for the fault-injected echo: every connection sends a stream
// of frames (connection id, sequence, length, checksum, payload) that can be
// rebuilt from its id alone, so a receiver checks every byte it gets against
// the one that must be at that offset: nothing lost, duplicated, reordered
// or crossed over from another connection.

import { OpError } from '../../src/net/errors.ts';
import type { Netpoll } from '../../src/netpoll/index.ts';
import { pollThreads } from '../../src/netpoll/worker-driver.ts';
import { sleep } from '../helpers/async.ts';

export const HEADER = 16;

/** A small seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over bytes. */
export function checksum(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** Frame payload sizes 1 B–64 KiB, log-uniform (most small, some large). */
export function frameSize(rand: () => number): number {
  return Math.min(65536, Math.max(1, Math.floor(2 ** (rand() * 16.01))));
}

/** The whole byte stream connection `id` sends: `frames` tagged frames. */
export function streamFor(seed: number, id: number, frames: number): Uint8Array {
  const rand = prng(seed * 1_000_003 + id);
  const parts: Uint8Array[] = [];
  for (let seq = 0; seq < frames; seq++) {
    const len = frameSize(rand);
    const f = new Uint8Array(HEADER + len);
    for (let i = HEADER; i < f.length; i++) f[i] = (rand() * 256) | 0;
    const v = new DataView(f.buffer);
    v.setUint32(0, id); v.setUint32(4, seq); v.setUint32(8, len); v.setUint32(12, checksum(f.subarray(HEADER)));
    parts.push(f);
  }
  return Buffer.concat(parts);
}

/**
 * Checks a received stream against the sent one as bytes arrive: each byte
 * must be the sent byte at that offset; complete frames are parsed and their
 * tags checked too.
 */
export class StreamChecker {
  received = 0;
  frames = 0;
  error: string | null = null;
  constructor(private readonly id: number, private readonly expected: Uint8Array) {}

  push(chunk: Uint8Array): void {
    if (this.error !== null) return;
    if (this.received + chunk.length > this.expected.length) {
      this.error = `conn ${this.id}: ${this.received + chunk.length - this.expected.length} bytes more than were sent`;
      return;
    }
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== this.expected[this.received + i]) {
        this.error = `conn ${this.id}: byte ${this.received + i} differs (got ${chunk[i]}, sent ${this.expected[this.received + i]})`;
        return;
      }
    }
    this.received += chunk.length;
    this.parseFrames();
  }

  private parsed = 0;
  private parseFrames(): void {
    for (;;) {
      if (this.received - this.parsed < HEADER) return;
      const v = new DataView(this.expected.buffer, this.expected.byteOffset + this.parsed);
      const len = v.getUint32(8);
      if (this.received - this.parsed < HEADER + len) return;
      const body = this.expected.subarray(this.parsed + HEADER, this.parsed + HEADER + len);
      if (v.getUint32(0) !== this.id || v.getUint32(4) !== this.frames || v.getUint32(12) !== checksum(body)) {
        this.error = `conn ${this.id}: frame ${this.frames} has a bad tag`;
        return;
      }
      this.frames++;
      this.parsed += HEADER + len;
    }
  }

  get complete(): boolean { return this.error === null && this.received === this.expected.length; }
}

/** Counts errors by kind (an OpError's code, else the error's class name) into `tally`. */
export function errorTally(tally: Record<string, number>): (e: unknown) => void {
  return (e) => {
    const k = e instanceof OpError ? e.code : (e as Error)?.constructor?.name ?? String(e);
    tally[k] = (tally[k] ?? 0) + 1;
  };
}

/**
 * Shuts np down, then waits until a worker driver's thread has closed its
 * own descriptors and left, so a descriptor count taken next is exact.
 */
export async function shutdownNetpoll(np: Netpoll): Promise<void> {
  np.shutdown();
  for (let i = 0; i < 1000 && pollThreads() > 0; i++) await sleep(5);
  await sleep(20);
}
