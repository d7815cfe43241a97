// Socket activation as sd_listen_fds reads it: the environment rules, and a
// real child started with inherited listening sockets and LISTEN_* set,
// serving on them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { dial, listen, ListenFdsError, parseListenFds } from '../../src/net/index.ts';
import { C } from '../../src/sys/constants.ts';
import { close as closeRaw } from '../../src/sys/libc.ts';
import * as sock from '../../src/sys/socket.ts';

test('LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are read as sd_listen_fds reads them', () => {
  assert.deepEqual(parseListenFds({}, 7), { fds: [], names: [] }, 'nothing passed');
  assert.deepEqual(parseListenFds({ LISTEN_PID: '8', LISTEN_FDS: '2' }, 7), { fds: [], names: [] }, 'meant for another process');
  assert.deepEqual(parseListenFds({ LISTEN_PID: '7', LISTEN_FDS: '2' }, 7), { fds: [3, 4], names: ['unknown', 'unknown'] });
  assert.deepEqual(parseListenFds({ LISTEN_PID: '7', LISTEN_FDS: '2', LISTEN_FDNAMES: 'http:admin' }, 7), { fds: [3, 4], names: ['http', 'admin'] });
  assert.deepEqual(parseListenFds({ LISTEN_PID: '7', LISTEN_FDS: '0' }, 7), { fds: [], names: [] });
  for (const env of [
    { LISTEN_PID: 'x', LISTEN_FDS: '1' },
    { LISTEN_PID: '7', LISTEN_FDS: '-1' },
    { LISTEN_PID: '7', LISTEN_FDS: 'two' },
    { LISTEN_PID: '7', LISTEN_FDS: '2', LISTEN_FDNAMES: 'only-one' },
  ]) assert.throws(() => parseListenFds(env, 7), (e: unknown) => e instanceof ListenFdsError && e.code === 'ERR_NETPOLL_LISTEN_FDS', JSON.stringify(env));
});

test('a child started with LISTEN_FDS serves on the inherited sockets', async () => {
  const tcp = await listen('tcp', '127.0.0.1:0');
  const udp = sock.socket(C.AF_INET, C.SOCK_DGRAM); // not a listener: passed on as a plain descriptor
  try {
    const fixture = join(import.meta.dirname, '..', 'fixtures', 'systemd-child.ts');
    // LISTEN_PID must be the child's own pid: sh learns it ($$) and exec keeps it.
    const child = spawn('/bin/sh', ['-c', 'LISTEN_PID=$$ exec "$0" --import tsx "$1"', process.execPath, fixture], {
      stdio: ['ignore', 'pipe', 'inherit', tcp.fd.sysfd, udp],
      env: { ...process.env, LISTEN_FDS: '2', LISTEN_FDNAMES: 'web:stats' },
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let out = '';
    child.stdout!.setEncoding('utf8');
    const firstLine = new Promise<string>((resolve) => {
      child.stdout!.on('data', (d: string) => { out += d; if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n'))); });
    });
    assert.deepEqual(JSON.parse(await firstLine), { names: ['web', 'stats'], kinds: ['tcp', 'other'], envLeft: [] });
    // The parent never accepts: the connection can only be served by the child.
    const conn = await dial('tcp', tcp.addr.toString());
    let reply = '';
    for (let c; (c = await conn.readChunk()) !== null;) reply += new TextDecoder().decode(c);
    await conn.close();
    assert.equal(reply, `hello from web in ${child.pid}\n`);
    assert.equal(await exited, 0);
  } finally {
    closeRaw(udp);
    await tcp.close();
  }
});
