// Go's pollCache and fdseq: slots are reused, and each reuse bumps the
// slot's generation. The kernel token carries slot and generation, so an
// event harvested for a closed descriptor never reaches the slot's next owner.
import type { PollDesc } from './poll-desc.ts';

/** 2^22 slots: far more descriptors than a process may hold. */
export const SLOT_COUNT = 1 << 22;
/** Generations wrap below 2^31, so slot + seq * SLOT_COUNT stays a safe integer. */
const SEQ_MOD = 0x8000_0000;

export function tokenOf(slot: number, seq: number): number { return seq * SLOT_COUNT + slot; }

export class PollCache {
  private readonly slots: (PollDesc | undefined)[] = [];
  private readonly seqs: number[] = [];
  private readonly free: number[] = [];
  private live = 0;

  get size(): number { return this.live; }

  /** A free slot and its generation. */
  alloc(): { slot: number; seq: number } {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.slots.length;
      if (slot >= SLOT_COUNT) throw new RangeError('netpoll: too many open poll descriptors');
      this.slots.push(undefined);
      this.seqs.push(0);
    }
    return { slot, seq: this.seqs[slot]! };
  }

  /** Returns an alloc()ed slot that was never filled (open failed). */
  release(slot: number): void { this.free.push(slot); }

  set(pd: PollDesc): void { this.slots[pd.slot] = pd; this.live++; }

  /** The pd an event's token names, or undefined when stale. */
  lookup(token: number): PollDesc | undefined {
    const slot = token % SLOT_COUNT;
    const pd = this.slots[slot];
    if (pd === undefined || pd.fdseq * SLOT_COUNT + slot !== token) return undefined;
    return pd;
  }

  /** Frees pd's slot and bumps its generation. */
  delete(pd: PollDesc): void {
    if (this.slots[pd.slot] !== pd) return;
    this.slots[pd.slot] = undefined;
    this.seqs[pd.slot] = (this.seqs[pd.slot]! + 1) % SEQ_MOD;
    this.free.push(pd.slot);
    this.live--;
  }

  *all(): IterableIterator<PollDesc> {
    for (const pd of this.slots) if (pd) yield pd;
  }
}
