// Where things are. Everything is resolved from this file so the harness
// works from any current directory.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT_DIR = resolve(BENCH_DIR, '..');
export const BUILD_DIR = resolve(BENCH_DIR, '.build');
export const RESULTS_DIR = resolve(BENCH_DIR, 'results');

/** Core the servers run on, and the one the load generator runs on. */
export const SERVER_CPUS = '0';
export const LOADGEN_CPUS = '1';
