// A real interactive shell on a pseudo-terminal, driven from Node without a
// native addon: the master side is on the poller, the shell's stdin, stdout
// and stderr are the terminal side, and the shell's exit reads as end of
// file (the master's EIO, with eioIsEOF).
// Run: node --import tsx examples/pty-shell.ts 'echo $((6*7)); tty'
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { openPty } from '../src/os/index.ts';

const script = process.argv[2] ?? 'echo "hello from $(tty)"';
const { master, slave } = openPty();
const sh = spawn('/bin/sh', ['-i'], {
  stdio: [slave, slave, slave],
  detached: true, // a session of its own, as a terminal's shell has
  env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PS1: '$ ', TERM: 'dumb' },
});
const exited = new Promise((resolve) => sh.on('exit', resolve));
closeSync(slave); // the shell holds its own copies; its exit is the last close
await master.write(new TextEncoder().encode(`${script}\nexit\n`));
for (let chunk; (chunk = await master.readChunk()) !== null;) process.stdout.write(chunk);
await master.close();
await exited;
