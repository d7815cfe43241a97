// A model-based property test of PollDesc against Go's rules for a poll
// descriptor (runtime/netpoll.go): per mode a state of nil, ready (pdReady)
// or a parked waiter; readiness from a real event either wakes the waiter or
// is remembered; pollReset drops remembered readiness; an expired deadline
// fails a parked waiter and every later wait with a timeout until the
// deadline is cleared or moved ahead, and keeps the remembered readiness;
// a closing descriptor (unblock, Netpoll.close) fails every waiter and every
// later wait with the closing error and ignores deadlines; the closing check
// comes before the deadline check, which comes before the double-wait check;
// a deadline set on a closing descriptor is refused with the closing error
// (Go's runtime ignores it; poll.FD refuses it on a closed FD).
//
// fast-check draws random command sequences; each runs against a real
// socketpair on each backend, with readiness made by writing to the peer,
// and against the model; every parker outcome must match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Netpoll, type Parker, type PollDesc } from '../../src/netpoll/index.ts';
import { close, read, write } from '../../src/sys/libc.ts';
import { backends } from '../helpers/backends.ts';
import { socketPair } from '../helpers/fds.ts';

type M = 'r' | 'w';
type Outcome = 'ready' | 'ETIMEDOUT' | 'ERR_NETPOLL_CLOSED';

interface Model {
  st: Record<M, 'nil' | 'ready' | 'wait'>;
  /** Who is parked on each mode: a parker of ours (unpark-able) or a wait() promise. */
  by: Record<M, 'parker' | 'promise' | null>;
  expired: Record<M, boolean>;
  closing: boolean;
  closed: boolean;
  /** Outcomes every waiter must have had so far, in order. */
  outcomes: string[];
}

interface Real {
  np: Netpoll;
  pd: PollDesc;
  a: number; peer: number;
  x: PollDesc; xfd: number; xpeer: number;
  parkers: Record<M, Parker | null>;
  outcomes: string[];
}

const one = Uint8Array.of(1);
const sink = new Uint8Array(4096);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until every event made so far has been delivered: a sentinel descriptor's readiness comes after them. */
async function drained(r: Real): Promise<void> {
  let fired = false;
  const sentinel: Parker = { pdReady: () => { fired = true; read(r.xfd, sink, sink.length); }, pdFail: () => { fired = true; } };
  if (!r.x.park('r', sentinel)) {
    write(r.xpeer, one, 1);
    for (let i = 0; !fired; i++) {
      if (i > 100_000) throw new Error('the sentinel never woke');
      await turn();
    }
  }
  await turn();
}

function recorder(r: Real, m: M): Parker {
  const p: Parker = {
    pdReady: (mode) => { r.outcomes.push(`parker ${mode} ready`); if (r.parkers[m] === p) r.parkers[m] = null; },
    pdFail: (mode, err) => { r.outcomes.push(`parker ${mode} ${codeOf(err)}`); if (r.parkers[m] === p) r.parkers[m] = null; },
  };
  return p;
}

/** After each command: every waiter outcome so far matches the model (as a multiset: a promise settles a microtask later). */
async function settle(m: Model, r: Real, what: string): Promise<void> {
  await turn();
  assert.deepEqual([...r.outcomes].sort(), [...m.outcomes].sort(), `waiter outcomes after ${what}`);
}

function codeOf(e: unknown): string { return (e as { code?: string }).code ?? String(e); }

/** What a wait on m gets at once in the model: a thrown code, 'ready' (consumed), or 'parked'. */
function modelWait(m: Model, mode: M): string {
  if (m.closing) return 'ERR_NETPOLL_CLOSED';
  if (m.expired[mode]) return 'ETIMEDOUT';
  if (m.st[mode] === 'wait') return 'ERR_NETPOLL_DOUBLE_WAIT';
  if (m.st[mode] === 'ready') { m.st[mode] = 'nil'; return 'ready'; }
  m.st[mode] = 'wait';
  return 'parked';
}
function failWaiter(m: Model, mode: M, why: Outcome): void {
  if (m.st[mode] !== 'wait') return;
  m.outcomes.push(`${m.by[mode]} ${mode} ${why}`);
  m.st[mode] = 'nil';
  m.by[mode] = null;
}

class Park implements fc.AsyncCommand<Model, Real> {
  constructor(readonly mode: M) {}
  check(): boolean { return true; }
  async run(m: Model, r: Real): Promise<void> {
    const expect = modelWait(m, this.mode);
    if (expect === 'parked') m.by[this.mode] = 'parker';
    const p = recorder(r, this.mode);
    let got: string;
    try { got = r.pd.park(this.mode, p) ? 'ready' : 'parked'; } catch (e) { got = codeOf(e); }
    if (got === 'parked') r.parkers[this.mode] = p;
    assert.equal(got, expect, `park(${this.mode})`);
    await settle(m, r, this.toString());
  }
  toString(): string { return `park(${this.mode})`; }
}

class Wait implements fc.AsyncCommand<Model, Real> {
  constructor(readonly mode: M) {}
  check(): boolean { return true; }
  async run(m: Model, r: Real): Promise<void> {
    const expect = modelWait(m, this.mode);
    if (expect === 'parked') m.by[this.mode] = 'promise';
    let settled: string | null = null;
    let late = false;
    const mode = this.mode;
    void r.pd.wait(mode).then(() => 'ready', (e: unknown) => codeOf(e)).then((v) => {
      settled = v;
      if (late) r.outcomes.push(`promise ${mode} ${v}`);
    });
    await turn();
    late = settled === null;
    assert.equal(settled ?? 'parked', expect, `wait(${mode})`);
    await settle(m, r, this.toString());
  }
  toString(): string { return `wait(${this.mode})`; }
}

class Unpark implements fc.AsyncCommand<Model, Real> {
  constructor(readonly mode: M) {}
  check(): boolean { return true; }
  async run(m: Model, r: Real): Promise<void> {
    const expect = m.st[this.mode] === 'wait' && m.by[this.mode] === 'parker';
    if (expect) { m.st[this.mode] = 'nil'; m.by[this.mode] = null; }
    const p = r.parkers[this.mode];
    const got = p !== null && r.pd.unpark(this.mode, p);
    if (got) r.parkers[this.mode] = null;
    assert.equal(got, expect, `unpark(${this.mode})`);
    await settle(m, r, this.toString());
  }
  toString(): string { return `unpark(${this.mode})`; }
}

function readyModel(m: Model, mode: M): void {
  if (m.st[mode] === 'wait') { m.outcomes.push(`${m.by[mode]} ${mode} ready`); m.st[mode] = 'nil'; m.by[mode] = null; } else m.st[mode] = 'ready';
}
class ReadyRead implements fc.AsyncCommand<Model, Real> {
  check(m: Readonly<Model>): boolean { return !m.closed; }
  async run(m: Model, r: Real): Promise<void> {
    readyModel(m, 'r');
    // epoll reports the whole readiness of an item woken by arriving data: writable too (one registration for
    // both); kqueue's read and write filters are separate knotes, and arriving data wakes only the read one.
    if (r.np.backend === 'epoll') readyModel(m, 'w');
    write(r.peer, one, 1);   // a new edge: data arrives
    await drained(r);
    await settle(m, r, this.toString());
  }
  toString(): string { return 'peer writes (read readiness)'; }
}

type DeadlineKind = 'past' | 'future' | 'clear';
class SetDeadline implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: DeadlineKind, readonly mode: M | 'rw') {}
  check(): boolean { return true; }
  async run(m: Model, r: Real): Promise<void> {
    if (!m.closing) {
      for (const mode of this.mode === 'rw' ? ['r', 'w'] as const : [this.mode]) {
        m.expired[mode] = this.kind === 'past';
        if (this.kind === 'past') failWaiter(m, mode, 'ETIMEDOUT');
      }
    }
    const d = this.kind === 'past' ? Date.now() - 1000 : this.kind === 'future' ? Date.now() + 3_600_000 : 0;
    // Go's runtime ignores a deadline on a closing pollDesc, and poll.FD refuses it on a closed FD: here, the closed error.
    let got = 'ok';
    try { r.pd.setDeadline(d, this.mode); } catch (e) { got = codeOf(e); }
    assert.equal(got, m.closing ? 'ERR_NETPOLL_CLOSED' : 'ok', this.toString());
    await sleep(1);
    await drained(r);
    await settle(m, r, this.toString());
  }
  toString(): string { return `setDeadline(${this.kind}, ${this.mode})`; }
}

class Reset implements fc.AsyncCommand<Model, Real> {
  constructor(readonly mode: M) {}
  // Go's pollReset runs under the fd lock, never beside a waiter of the same mode.
  check(m: Readonly<Model>): boolean { return m.st[this.mode] !== 'wait'; }
  async run(m: Model, r: Real): Promise<void> {
    let expect = 'ok';
    if (m.closing) expect = 'ERR_NETPOLL_CLOSED';
    else if (m.expired[this.mode]) expect = 'ETIMEDOUT';
    else m.st[this.mode] = 'nil';
    let got = 'ok';
    try { r.pd.reset(this.mode); } catch (e) { got = codeOf(e); }
    assert.equal(got, expect, `reset(${this.mode})`);
    await settle(m, r, this.toString());
  }
  toString(): string { return `reset(${this.mode})`; }
}

class Unblock implements fc.AsyncCommand<Model, Real> {
  constructor(readonly viaClose: boolean) {}
  check(m: Readonly<Model>): boolean { return !m.closed; }
  async run(m: Model, r: Real): Promise<void> {
    m.closing = true;
    failWaiter(m, 'r', 'ERR_NETPOLL_CLOSED');
    failWaiter(m, 'w', 'ERR_NETPOLL_CLOSED');
    if (this.viaClose) { m.closed = true; r.np.close(r.pd); } else r.pd.unblock();
    await drained(r);
    await settle(m, r, this.toString());
  }
  toString(): string { return this.viaClose ? 'Netpoll.close(pd)' : 'unblock()'; }
}

const commands = [
  fc.constantFrom<M>('r', 'w').map((mode) => new Park(mode)),
  fc.constantFrom<M>('r', 'w').map((mode) => new Wait(mode)),
  fc.constantFrom<M>('r', 'w').map((mode) => new Unpark(mode)),
  fc.constant(new ReadyRead()),
  fc.constant(new ReadyRead()),
  fc.tuple(fc.constantFrom<DeadlineKind>('past', 'future', 'clear'), fc.constantFrom<M | 'rw'>('r', 'w', 'rw')).map(([k, mode]) => new SetDeadline(k, mode)),
  fc.constantFrom<M>('r', 'w').map((mode) => new Reset(mode)),
  fc.boolean().map((viaClose) => new Unblock(viaClose)),
];

for (const backend of backends) {
  for (const driver of ['loop', 'worker'] as const) {
    test(`PollDesc follows Go's rg/wg rules under random wait, readiness, deadline, reset, unblock and close sequences (${backend}, ${driver} driver)`, async () => {
      const np = new Netpoll({ backend, driver });
      try {
        await fc.assert(fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
          const [a, peer] = socketPair();
          const [xfd, xpeer] = socketPair();
          const r: Real = { np, pd: np.open(a), a, peer, x: np.open(xfd), xfd, xpeer, parkers: { r: null, w: null }, outcomes: [] };
          // Registration gives a new socket one writable edge (and no readable one).
          await drained(r);
          const m: Model = { st: { r: 'nil', w: 'ready' }, by: { r: null, w: null }, expired: { r: false, w: false }, closing: false, closed: false, outcomes: [] };
          try {
            await fc.asyncModelRun(() => ({ model: m, real: r }), cmds);
            await drained(r);
            await settle(m, r, 'the sequence');
          } finally {
            if (!m.closed) np.close(r.pd);
            np.close(r.x);
            await turn();
            for (const fd of [a, peer, xfd, xpeer]) close(fd);
          }
        }), { numRuns: 200 });
      } finally {
        np.shutdown();
      }
    });
  }
}
