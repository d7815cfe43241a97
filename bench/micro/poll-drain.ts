// Events per second drained by poll(0). K socketpair ends, each
// readable and writable, are registered with the poller (registration of a
// ready descriptor raises its event at once); the timed part is only the
// poll(0) calls that drain all K events. Registration is redone between
// passes, outside the timing. Prints one JSON line.
// Usage: node --import tsx bench/micro/poll-drain.ts [--mode full|quick|smoke]
import koffi from 'koffi';
import { createPoller } from '../../src/poller/index.ts';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;

const libc = koffi.load('libc.so.6');
const socketpair = libc.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)') as (
  d: number,
  t: number,
  p: number,
  sv: Int32Array,
) => number;
const write = libc.func('long write(int fd, const void *buf, unsigned long count)') as (fd: number, buf: Uint8Array, n: number) => number;
const close = libc.func('int close(int fd)') as (fd: number) => number;

const mode = process.argv[process.argv.indexOf('--mode') + 1] ?? 'full';
const K = mode === 'smoke' ? 100 : 1000;
const PASSES = mode === 'smoke' ? 20 : mode === 'quick' ? 200 : 1000;

const fds: number[] = [];
const peers: number[] = [];
const sv = new Int32Array(2);
const one = new Uint8Array([1]);
for (let i = 0; i < K; i++) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) !== 0) throw new Error('socketpair failed');
  fds.push(sv[0] ?? -1);
  peers.push(sv[1] ?? -1);
  write(sv[1] ?? -1, one, 1); // makes fds[i] readable as well as writable
}

const poller = createPoller();
let events = 0;
let timedNs = 0n;
let polls = 0;
try {
  for (let pass = 0; pass < PASSES; pass++) {
    for (let i = 0; i < K; i++) poller.open(fds[i] ?? -1, i);
    let seen = 0;
    const t0 = process.hrtime.bigint();
    // bounded: each poll drains a batch; K events need K/batch polls
    for (let tries = 0; seen < K && tries < K + 10; tries++) {
      seen += poller.poll(0, () => undefined);
      polls++;
    }
    timedNs += process.hrtime.bigint() - t0;
    events += seen;
    for (let i = 0; i < K; i++) poller.close(fds[i] ?? -1);
  }
} finally {
  poller.shutdown();
  for (const fd of [...fds, ...peers]) close(fd);
}
const secs = Number(timedNs) / 1e9;
const values = { events_per_s: events / secs, ns_per_event: (secs * 1e9) / events, events_per_poll: events / polls, fds: K };
process.stdout.write(`${JSON.stringify({ name: 'poll-drain', ok: events > 0, values })}\n`);
