// One measurement: one fresh server process, one load generator run.
import type { Built } from './build.ts';
import { IdleSession, runLoadgen, type LoadgenResult } from './loadgen.ts';
import type { MetricKey } from './metrics.ts';
import { SERVER_CPUS } from './paths.ts';
import { freePort } from './ports.ts';
import { rssBytes } from './proc-stat.ts';
import { SETTLE_MS, type BulkScenario, type BurstScenario, type EchoScenario, type IdleScenario, type Scenario } from './scenarios.ts';
import type { ServerDef } from './servers.ts';
import { startServer, type RunningServer, type ServerStats } from './spawn-server.ts';

export type Values = Partial<Record<MetricKey, number>>;

export interface Outcome {
  ok: boolean;
  /** true when the failure is an echo mismatch (crossed or corrupted bytes). */
  mismatch?: boolean;
  error?: string;
  values: Values;
  raw?: LoadgenResult;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function num(r: LoadgenResult, k: string): number | undefined {
  const v = r[k];
  return typeof v === 'number' && v >= 0 ? v : undefined;
}

function failed(r: LoadgenResult, srv: RunningServer): Outcome {
  const died = srv.alive() ? '' : ` (server ${srv.death() ?? 'died'})`;
  return { ok: false, mismatch: r.exit === 3, error: `${r.error ?? 'loadgen failed'}${died}`, values: {}, raw: r };
}

async function echoRun(s: EchoScenario, srv: RunningServer, built: Built): Promise<Outcome> {
  let before: Promise<ServerStats | null> = Promise.resolve(null);
  const args = ['--mode', 'echo', '--addr', srv.address, '--conns', `${s.conns}`, '--size', `${s.size}`];
  args.push('--duration', `${s.duration}`, '--warmup', `${s.warmup}`, '--pid', `${srv.pid}`);
  const timeoutMs = (s.warmup + s.duration + 90) * 1000;
  // The first stats call resets the server's timer-lateness samples, so the
  // second one covers the measured window only. It collects no garbage: a
  // forced full GC there would stall every request in flight at the
  // window's start (it made the Node servers' p99.9 at 1000 connections).
  const r = await runLoadgen(built, args, timeoutMs, (ev) => {
    if (ev.event === 'measure') before = srv.stats(15_000, false);
  });
  if (!r.ok) return failed(r, srv);
  await before;
  const after = await srv.stats();
  if (!srv.alive()) return { ok: false, error: `server ${srv.death() ?? 'died'}`, values: {} };
  const values: Values = {
    rt_per_s: num(r, 'rt_per_s'),
    mb_per_s: num(r, 'mb_per_s'),
    p50_us: num(r, 'p50_us'),
    p99_us: num(r, 'p99_us'),
    p999_us: num(r, 'p999_us'),
    cpu_us_per_rt: num(r, 'server_cpu_us_per_rt'),
    user_us_per_rt: num(r, 'server_user_us_per_rt'),
    loadgen_cpu_pct: num(r, 'loadgen_cpu_pct'),
  };
  if (after?.timer) {
    values.timer_p99_ms = after.timer.p99;
    values.timer_max_ms = after.timer.max;
  }
  return { ok: true, values, raw: r };
}

async function bulkRun(s: BulkScenario, srv: RunningServer, built: Built): Promise<Outcome> {
  const args = ['--mode', 'bulk', '--addr', srv.address, '--bytes', `${s.bytes}`, '--pid', `${srv.pid}`];
  // bounded: even 50 MB/s finishes 1 GiB in ~21 s
  const r = await runLoadgen(built, args, 30_000 + s.bytes / 50_000);
  if (!r.ok) return failed(r, srv);
  const cpu = num(r, 'server_cpu_us');
  const lg = num(r, 'loadgen_cpu_us');
  const secs = num(r, 'seconds');
  // The generator fills and checks every byte: show how busy its core was.
  const lgPct = lg !== undefined && secs ? lg / (secs * 1e4) : undefined;
  return { ok: true, values: { mb_per_s: num(r, 'mb_per_s'), server_cpu_ms: cpu === undefined ? undefined : cpu / 1000, loadgen_cpu_pct: lgPct }, raw: r };
}

async function burstRun(s: BurstScenario, srv: RunningServer, built: Built): Promise<Outcome> {
  const args = ['--mode', 'burst', '--addr', srv.address, '--conns', `${s.conns}`, '--size', '64', '--pid', `${srv.pid}`];
  args.push('--timeout', '45');
  const r = await runLoadgen(built, args, 60_000);
  if (!r.ok) return failed(r, srv);
  const cpu = num(r, 'server_cpu_us');
  return {
    ok: true,
    values: { total_ms: num(r, 'total_ms'), p99_ms: num(r, 'p99_ms'), server_cpu_ms: cpu === undefined ? undefined : cpu / 1000 },
    raw: r,
  };
}

/** RSS from /proc and heap from the server itself, after a gc where it can. */
async function memory(srv: RunningServer): Promise<{ rss: number | null; heap: number | null }> {
  const st = await srv.stats(30_000);
  await sleep(st ? 50 : 300); // let freed pages go back / the C server settle
  return { rss: rssBytes(srv.pid), heap: st?.heapUsed ?? null };
}

/** RSS once the server has been idle SETTLE_MS since the last gc, after another gc (see SETTLE_MS). */
async function settledRss(srv: RunningServer): Promise<number | null> {
  await sleep(SETTLE_MS);
  return (await memory(srv)).rss;
}

async function idleRun(s: IdleScenario, srv: RunningServer, built: Built): Promise<Outcome> {
  const [lo, hi] = s.counts;
  const session = new IdleSession(built, ['--addr', srv.address, '--timeout', '300']);
  try {
    await session.started();
    const at = async (n: number): Promise<{ rss: number | null; heap: number | null; settled: number | null; openMs: number }> => {
      const opened = await session.command(`open ${n}`, 120_000);
      if (s.echo) await session.command('echo', 120_000);
      const m = await memory(srv);
      const settled = s.settle ? await settledRss(srv) : null;
      return { ...m, settled, openMs: typeof opened['ms'] === 'number' ? opened['ms'] : NaN };
    };
    const a = await at(lo);
    const b = await at(hi);
    if (!srv.alive()) return { ok: false, error: `server ${srv.death() ?? 'died'}`, values: {} };
    const per = (x: number | null, y: number | null): number | undefined => (x === null || y === null ? undefined : (y - x) / (hi - lo));
    const values: Outcome['values'] = { rss_per_conn: per(a.rss, b.rss), heap_per_conn: per(a.heap, b.heap), open_ms: b.openMs };
    if (s.settle) values.rss_settled_per_conn = per(a.settled, b.settled);
    return { ok: true, values };
  } catch (e) {
    const msg = (e as Error).message;
    return { ok: false, mismatch: msg.includes('mismatch'), error: `${msg}${srv.alive() ? '' : ` (server ${srv.death() ?? 'died'})`}`, values: {} };
  } finally {
    await session.quit();
  }
}

/** Starts a fresh server, runs the scenario once against it, stops it. */
export async function measureOnce(s: Scenario, def: ServerDef, built: Built): Promise<Outcome> {
  let srv: RunningServer;
  try {
    srv = await startServer(def, await freePort(), s.cpus ?? SERVER_CPUS, built);
  } catch (e) {
    return { ok: false, error: (e as Error).message, values: {} };
  }
  try {
    switch (s.kind) {
      case 'echo':
        return await echoRun(s, srv, built);
      case 'bulk':
        return await bulkRun(s, srv, built);
      case 'burst':
        return await burstRun(s, srv, built);
      case 'idle':
        return await idleRun(s, srv, built);
    }
  } finally {
    await srv.stop();
  }
}
