// What an unsubscribed diagnostics channel costs netpoll's hot path: the
// publishers do `if (ch.hasSubscribers) ch.publish(msg)`. Times that guard
// on netpoll.poller.drained (published once per drain) against the same
// loop without it, nobody subscribed, then with a subscriber for scale.
// Prints one JSON line (ns per iteration; medians of interleaved passes);
// registered in bench/lib/micro.ts, so the full bench lists it.
// Usage: node --import tsx bench/micro/channels.ts [--mode full|quick|smoke]
import { pollerDrained } from '../../src/netpoll/channels.ts';

const mode = process.argv[process.argv.indexOf('--mode') + 1] ?? 'full';
const N = mode === 'smoke' ? 1e5 : 1e7;
const PASSES = mode === 'smoke' ? 3 : 9;
let sink = 0;

function bare(): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += i & 1;
  return Number(process.hrtime.bigint() - t) / N;
}

function guarded(): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    sink += i & 1;
    if (pollerDrained.hasSubscribers) pollerDrained.publish({ backend: 'epoll', polls: 1, events: i });
  }
  return Number(process.hrtime.bigint() - t) / N;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const a: number[] = [], b: number[] = [];
for (let p = 0; p < PASSES; p++) { a.push(bare()); b.push(guarded()); }
const sub = (): void => { sink++; };
pollerDrained.subscribe(sub);
const c: number[] = [];
for (let p = 0; p < Math.max(1, PASSES / 3); p++) c.push(guarded());
pollerDrained.unsubscribe(sub);
const bareNs = median(a), unsubNs = median(b);
const values = {
  bare_ns: +bareNs.toFixed(3), unsubscribed_ns: +unsubNs.toFixed(3), subscribed_ns: +median(c).toFixed(3),
  unsubscribed_extra_ns: +(unsubNs - bareNs).toFixed(3),
};
// The micro harness (bench/lib/micro.ts) reads this one line.
process.stdout.write(`${JSON.stringify({ name: 'channels', ok: sink > 0, iterations: N, values })}\n`);
