// Builds the native parts at run time into bench/.build/, keyed by a hash of
// the source so an edit rebuilds and an unchanged file is reused.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BENCH_DIR, BUILD_DIR } from './paths.ts';

export interface Built {
  loadgen: string;
  echoEpoll: string;
  /** null when Go is not installed; goMissing then says how to get it. */
  echoGo: string | null;
  goMissing: string | null;
  goVersion: string | null;
}

export const GO_INSTALL_HINT = 'Go not found on PATH: the Go row is skipped (install it with `apt-get install -y golang-go`)';

function hashOf(file: string, extra: string): string {
  return createHash('sha256').update(readFileSync(file)).update(extra).digest('hex').slice(0, 12);
}

/** The header the load generators share: part of their hash, so an edit to it rebuilds them. */
export const SHARED_HEADER = resolve(BENCH_DIR, 'proc-cpu.h');

/** Compiles src (C) into bench/.build, reusing the binary while src, flags and the shared header are unchanged. */
export function buildC(name: string, src: string, extraFlags: string[] = []): string {
  mkdirSync(BUILD_DIR, { recursive: true });
  const flags = ['-O2', '-Wall', ...extraFlags];
  const out = join(BUILD_DIR, `${name}-${hashOf(src, flags.join(' ') + readFileSync(SHARED_HEADER, 'utf8'))}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp${process.pid}`;
  execFileSync('cc', [...flags, '-o', tmp, src], { stdio: ['ignore', 'inherit', 'inherit'] });
  renameSync(tmp, out); // atomic: a concurrent run never sees half a binary
  return out;
}

function goVersion(): string | null {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function buildGo(src: string, version: string): string {
  const out = join(BUILD_DIR, `echo-go-${hashOf(src, version)}`);
  if (existsSync(out)) return out;
  const env: NodeJS.ProcessEnv = { ...process.env, CGO_ENABLED: '0', GO111MODULE: 'off' };
  // Without HOME (some CI shells) go has no default cache dir: keep one here.
  if (!env['GOCACHE'] && !env['HOME']) env['GOCACHE'] = join(BUILD_DIR, 'gocache');
  const tmp = `${out}.tmp${process.pid}`;
  execFileSync('go', ['build', '-o', tmp, src], { stdio: ['ignore', 'inherit', 'inherit'], env, cwd: BUILD_DIR });
  renameSync(tmp, out);
  return out;
}

export function buildAll(opts: { skipGo?: boolean } = {}): Built {
  mkdirSync(BUILD_DIR, { recursive: true });
  const loadgen = buildC('loadgen', resolve(BENCH_DIR, 'loadgen.c'));
  const echoEpoll = buildC('echo-epoll', resolve(BENCH_DIR, 'servers/echo-epoll.c'));
  const version = opts.skipGo ? null : goVersion();
  let echoGo: string | null = null;
  let goMissing: string | null = opts.skipGo ? 'Go row skipped (--no-go)' : GO_INSTALL_HINT;
  if (version) {
    try {
      echoGo = buildGo(resolve(BENCH_DIR, 'servers/echo-go.go'), version);
      goMissing = null;
    } catch (e) {
      goMissing = `go build failed: ${(e as Error).message.split('\n')[0] ?? ''}`;
    }
  }
  return { loadgen, echoEpoll, echoGo, goMissing, goVersion: version };
}
