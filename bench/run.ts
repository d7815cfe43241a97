// The benchmark harness: netpoll against node:net, Go and C.
//
//   node --import tsx bench/run.ts            full run (~10 minutes)
//   node --import tsx bench/run.ts --quick    about 2½ minutes, key scenarios
//   node --import tsx bench/run.ts --smoke    ~10 s, tiny counts, for CI: exit 0 when
//                                             everything ran, non-zero on any failure
//   node --import tsx bench/run.ts --idle N   only the idle scenarios, up to N conns
// Other flags: --rounds R, --servers id,id, --only scenario,scenario, --no-go,
//   --no-micro, --out DIR.
//
// Servers run on core 0, the C load generator on core 1, interleaved
// (A B C D, A B C D, …) for every scenario, a fresh server process per run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { buildAll, type Built } from './lib/build.ts';
import { BUSY_THRESHOLD, busyPercent } from './lib/busy.ts';
import { installExitHandlers, killAll } from './lib/children.ts';
import { measureOnce, type Outcome } from './lib/measure.ts';
import { METRICS, fmt } from './lib/metrics.ts';
import { runMicro, type MicroResult } from './lib/micro.ts';
import { LOADGEN_CPUS, RESULTS_DIR, ROOT_DIR, SERVER_CPUS } from './lib/paths.ts';
import { fdLimits } from './lib/proc-stat.ts';
import { markdownTables, terminalTables } from './lib/report-table.ts';
import { ratioChart } from './lib/report-svg.ts';
import { idleOnly, scenariosFor, type Mode, type Scenario } from './lib/scenarios.ts';
import { SERVERS, type ServerId } from './lib/servers.ts';
import { checkTargets, targetTable } from './lib/targets.ts';
import { summarize, type RunRecord, type ScenarioSummary } from './lib/summary.ts';

interface Options {
  mode: Mode;
  rounds: number;
  idle: number | null;
  servers: Set<string> | null;
  only: Set<string> | null;
  noGo: boolean;
  micro: boolean;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { mode: 'full', rounds: 0, idle: null, servers: null, only: null, noGo: false, micro: true, out: RESULTS_DIR };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.mode = 'quick';
    else if (a === '--smoke') o.mode = 'smoke';
    else if (a === '--full') o.mode = 'full';
    else if (a === '--rounds') o.rounds = Math.max(1, Number(val()));
    else if (a === '--idle') o.idle = Number(val());
    else if (a === '--servers') o.servers = new Set(val().split(','));
    else if (a === '--only') o.only = new Set(val().split(','));
    else if (a === '--no-go') o.noGo = true;
    else if (a === '--no-micro') o.micro = false;
    else if (a === '--out') o.out = resolve(val());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (!o.rounds) o.rounds = o.mode === 'smoke' ? 1 : o.mode === 'quick' ? 2 : 3;
  if (o.out === RESULTS_DIR && o.mode !== 'full') o.out = join(RESULTS_DIR, 'local'); // quick and smoke runs: git-ignored
  return o;
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

function machine(built: Built): Record<string, unknown> {
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT_DIR, encoding: 'utf8' });
  const lim = fdLimits();
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    kernel: release(),
    node: process.version,
    go: built.goVersion,
    fdLimit: { soft: lim.soft, hard: lim.hard },
    commit: git.status === 0 ? git.stdout.trim() : null,
    serverCpus: SERVER_CPUS,
    loadgenCpus: LOADGEN_CPUS,
  };
}

/** Self-check for smoke: a server that crosses bytes must fail the run. */
async function crossCheck(built: Built): Promise<string | null> {
  const s = scenariosFor('smoke')[0];
  if (!s) return 'no smoke scenario';
  const r = await measureOnce(s, SERVERS['c-epoll-cross'], built);
  if (r.ok) return 'the load generator accepted crossed echoes from echo-epoll --cross';
  if (!r.mismatch) return `expected an echo mismatch from echo-epoll --cross, got: ${r.error ?? 'unknown'}`;
  return null;
}

function describe(s: Scenario, o: Outcome): string {
  if (!o.ok) return `FAILED: ${o.error ?? 'unknown'}`;
  return s.metrics
    .slice(0, 3)
    .map((k) => `${METRICS[k].label} ${fmt(k, o.values[k])}`)
    .join(', ');
}

async function main(): Promise<number> {
  installExitHandlers();
  const opt = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const built = buildAll({ skipGo: opt.noGo });
  const failures: string[] = [];
  const notes: string[] = [];
  const lim = fdLimits();
  notes.push(`descriptor limit: soft ${lim.soft}, hard ${lim.hard} per process (the hard limit cannot be raised here; servers and the load generator raise their soft limit to it)`);
  if (built.goMissing) notes.push(built.goMissing);

  let scenarios: Scenario[] = scenariosFor(opt.mode);
  if (opt.idle !== null) {
    const cap = Math.min(opt.idle, lim.hard - 100);
    if (cap < opt.idle) notes.push(`--idle ${opt.idle} capped to ${cap}: the hard descriptor limit is ${lim.hard} per process (margin 100 for the process's own fds)`);
    scenarios = idleOnly(Math.max(10, cap));
  }
  if (opt.only) scenarios = scenarios.filter((s) => opt.only?.has(s.id));
  for (const n of notes) log(`note: ${n}`);

  // Which servers can run at all.
  const skipReason = new Map<ServerId, string>();
  for (const s of scenarios)
    for (const id of s.servers) {
      if (opt.servers && !opt.servers.has(id)) skipReason.set(id, 'not selected (--servers)');
      else {
        const why = SERVERS[id].missing(built);
        if (why) skipReason.set(id, why);
      }
    }
  for (const [id, why] of skipReason) log(`skip ${SERVERS[id].label}: ${why}`);

  if (opt.mode === 'smoke') {
    const bad = await crossCheck(built);
    if (bad) failures.push(`self-check: ${bad}`);
    log(bad ? `self-check FAILED: ${bad}` : 'self-check: crossed echoes are caught (echo-epoll --cross fails the run)');
  }

  const runs: RunRecord[] = [];
  const summaries: ScenarioSummary[] = [];
  for (const s of scenarios) {
    const servers = s.servers.filter((id) => !skipReason.has(id));
    const skipped = s.servers.filter((id) => skipReason.has(id)).map((id) => ({ server: id, reason: skipReason.get(id) ?? '' }));
    if (servers.length === 0) {
      log(`[${s.id}] skipped: no server can run`);
      summaries.push(summarize(s, [], skipped, 0));
      continue;
    }
    // Nothing of ours runs between measurements: what is busy now is someone else.
    const busy = await busyPercent();
    if (busy > BUSY_THRESHOLD) {
      const msg = `machine busy before ${s.id}: ${busy.toFixed(0)}% of both cores used by other processes; its figures are skewed`;
      notes.push(msg);
      log(`WARNING: ${msg}`);
    }
    const mine: RunRecord[] = [];
    const rounds = Math.min(opt.rounds, s.maxRounds ?? opt.rounds);
    for (let round = 1; round <= rounds; round++) {
      for (const id of servers) {
        const o = await measureOnce(s, SERVERS[id], built);
        const rec: RunRecord = { scenario: s.id, server: id, round, ok: o.ok, mismatch: o.mismatch, error: o.error, values: o.values };
        mine.push(rec);
        log(`[${s.id}] round ${round}/${rounds} ${SERVERS[id].label}: ${describe(s, o)}`);
        if (!o.ok) failures.push(`${s.id} ${SERVERS[id].label} round ${round}: ${o.error ?? 'failed'}`);
      }
    }
    runs.push(...mine);
    summaries.push(summarize(s, mine, skipped, rounds));
  }

  let micro: MicroResult[] = [];
  if (opt.micro && opt.idle === null && !opt.only) {
    micro = await runMicro(opt.mode, (m) => log(m));
    for (const m of micro) if (!m.ok && !m.skipped) failures.push(`micro ${m.name}: ${m.error ?? 'failed'}`);
  }

  const seconds = (Date.now() - started) / 1000;
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
  const base = `${stamp}-${opt.idle !== null ? 'idle' : opt.mode}`;
  const header = [
    `# netpoll benchmark — ${opt.mode}${opt.idle !== null ? ` --idle ${opt.idle}` : ''}, ${new Date().toISOString()}`,
    '',
    `Servers on core ${SERVER_CPUS}, load generator on core ${LOADGEN_CPUS}; ${opt.rounds} interleaved round(s); medians.`,
    'Ratios are value ÷ reference (raw): for µs, ms and bytes lower is better, for /s and MB/s higher is better.',
    'Server CPU is utime+stime from /proc/PID/stat over the measured window, divided by round trips.',
    ...notes.map((n) => `- ${n}`),
  ];
  const microLines = micro.map((m) =>
    m.ok ? `micro ${m.name}: ${Object.entries(m.values).map(([k, v]) => `${k} ${Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Number.isInteger(v) ? String(v) : v.toFixed(2)}`).join(', ')}` : `micro ${m.name}: ${m.skipped ? 'skipped' : 'FAILED'}: ${m.error ?? ''}`,
  );

  // smoke counts are too small to judge anything by
  const targets = opt.mode === 'smoke' ? [] : checkTargets(summaries, micro);
  const targetLines = targets.map((t) => `${t.verdict === 'met' ? 'met   ' : t.verdict === 'missed' ? 'MISSED' : 'n/a   '} ${t.target}: ${t.value}`);

  process.stdout.write(`${terminalTables(summaries)}\n`);
  const warnings = notes.filter((n) => n.startsWith('machine busy'));
  if (warnings.length) process.stdout.write(`\n${warnings.map((w) => `WARNING: ${w}`).join('\n')}\n`);
  if (microLines.length) process.stdout.write(`\n${microLines.join('\n')}\n`);
  if (targetLines.length) process.stdout.write(`\ntargets (ratios from this run):\n${targetLines.map((l) => `  ${l}`).join('\n')}\n`);

  mkdirSync(opt.out, { recursive: true });
  const files = { json: join(opt.out, `${base}.json`), md: join(opt.out, `${base}.md`), svg: join(opt.out, `${base}.svg`) };
  const doc = { mode: opt.mode, idle: opt.idle, rounds: opt.rounds, date: new Date().toISOString(), seconds, machine: machine(built), notes, failures, scenarios: summaries, micro, targets, runs };
  writeFileSync(files.json, `${JSON.stringify(doc, null, 2)}\n`);
  const md = markdownTables(summaries, header) + (microLines.length ? `\n${microLines.map((l) => `- ${l}`).join('\n')}\n` : '') + (targets.length ? `\n## Targets (ratios from this run)\n\n${targetTable(targets)}` : '') + (failures.length ? `\n## Failures\n${failures.map((f) => `- ${f}`).join('\n')}\n` : '');
  writeFileSync(files.md, md);
  writeFileSync(files.svg, ratioChart(summaries, `netpoll bench (${opt.mode}): headline figure relative to node:net, >1 is better`));
  log(`\nwrote ${relative(ROOT_DIR, files.json)}, ${relative(ROOT_DIR, files.md)}, ${relative(ROOT_DIR, files.svg)} in ${seconds.toFixed(0)} s`);
  if (!existsSync(resolve(ROOT_DIR, 'examples/echo-server.ts'))) log('netpoll rows skipped: examples/echo-server.ts does not exist yet');

  if (failures.length) {
    log(`\n${failures.length} failure(s):\n${failures.map((f) => `  ${f}`).join('\n')}`);
    return 1;
  }
  return 0;
}

main()
  .then((code) => {
    killAll();
    process.exit(code);
  })
  .catch((e: unknown) => {
    killAll();
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
