// Runs the poller micro-benchmarks (bench/micro/*.ts) as child processes and
// reads the one JSON line each prints. Skipped while src/poller does not exist.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { track } from './children.ts';
import { onLines, tail } from './lines.ts';
import type { Mode } from './scenarios.ts';
import { BENCH_DIR, ROOT_DIR } from './paths.ts';

export interface MicroResult {
  name: string;
  ok: boolean;
  skipped?: boolean;
  error?: string;
  values: Record<string, number>;
}

const MICROS = ['wake-latency', 'poll-drain', 'channels'] as const;

function runOne(name: string, mode: Mode): Promise<MicroResult> {
  const file = resolve(BENCH_DIR, `micro/${name}.ts`);
  const child = track(spawn(process.execPath, ['--import', 'tsx', file, '--mode', mode], { cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'pipe'] }));
  const err = tail(child.stderr!);
  let last: MicroResult | null = null;
  onLines(child.stdout!, (line) => {
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === 'object' && v !== null && 'values' in v) last = { name, ok: true, ...(v as Partial<MicroResult>), values: (v as MicroResult).values };
    } catch {
      // not the result line
    }
  });
  return new Promise((res) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      const r: MicroResult | null = last;
      if (r && code === 0) res(r);
      else res({ name, ok: false, error: `exit ${code ?? sig}: ${err().trim().slice(-600)}`, values: {} });
    });
  });
}

export async function runMicro(mode: Mode, log: (m: string) => void): Promise<MicroResult[]> {
  if (!existsSync(resolve(ROOT_DIR, 'src/poller/index.ts'))) {
    log('micro: skipped, src/poller/index.ts does not exist yet');
    return MICROS.map((name) => ({ name, ok: false, skipped: true, error: 'src/poller/index.ts does not exist yet', values: {} }));
  }
  const out: MicroResult[] = [];
  for (const name of MICROS) {
    const r = await runOne(name, mode);
    log(`micro ${name}: ${r.ok ? JSON.stringify(r.values) : `FAILED ${r.error ?? ''}`}`);
    out.push(r);
  }
  return out;
}
