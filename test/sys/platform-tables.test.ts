// The per-OS tables checked against the values in each OS's system headers.
// Only Linux runs here, so each test reads the table of the OS it names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constantsFor } from '../../src/sys/constants.ts';
import { osFromNode } from '../../src/sys/platform.ts';
import { sockaddrStorageSizeFor } from '../../src/sys/sockaddr.ts';
import { lingerOption } from '../../src/sys/socket.ts';
import { libcSymbolFor } from '../../src/sys/symbols.ts';

test('NetBSD binds kevent and socket to their current entry points (__kevent50, __socket30)', () => {
  // sys/event.h: int kevent(...) __RENAME(__kevent50); sys/socket.h: int socket(...) __RENAME(__socket30)
  assert.equal(libcSymbolFor('netbsd', 'kevent'), '__kevent50');
  assert.equal(libcSymbolFor('netbsd', 'socket'), '__socket30');
  for (const os of ['linux', 'darwin', 'freebsd', 'openbsd', 'dragonfly'] as const) {
    assert.equal(libcSymbolFor(os, 'kevent'), 'kevent');
    assert.equal(libcSymbolFor(os, 'socket'), 'socket');
  }
});

test('FreeBSD, NetBSD and DragonFly set SO_NOSIGPIPE (0x0800 in their sys/socket.h)', () => {
  for (const os of ['freebsd', 'netbsd', 'dragonfly'] as const) assert.equal(constantsFor(os).SO_NOSIGPIPE, 0x0800, os);
  assert.equal(constantsFor('darwin').SO_NOSIGPIPE, 0x1022);
  // OpenBSD has no SO_NOSIGPIPE; its send() carries MSG_NOSIGNAL (0x400).
  assert.equal(constantsFor('openbsd').SO_NOSIGPIPE, 0);
  assert.equal(constantsFor('openbsd').MSG_NOSIGNAL, 0x400);
  assert.equal(constantsFor('freebsd').MSG_NOSIGNAL, 0x20000);
  assert.equal(constantsFor('linux').MSG_NOSIGNAL, 0x4000);
});

test('macOS lingers in seconds through SO_LINGER_SEC (0x1080); elsewhere SO_LINGER is in seconds', () => {
  assert.equal(constantsFor('darwin').SO_LINGER_SEC, 0x1080);
  assert.equal(lingerOption(constantsFor('darwin')), 0x1080);
  assert.equal(lingerOption(constantsFor('linux')), 13);
  for (const os of ['freebsd', 'netbsd', 'openbsd', 'dragonfly'] as const) assert.equal(lingerOption(constantsFor(os)), 0x80, os);
});

test('DragonFly is recognised under each name Node builds report for it', () => {
  assert.equal(osFromNode('dragonflybsd', 'DragonFly'), 'dragonfly');
  assert.equal(osFromNode('dragonfly', 'DragonFly'), 'dragonfly');
  assert.equal(osFromNode('freebsd', 'DragonFly'), 'dragonfly');
  assert.equal(osFromNode('freebsd', 'FreeBSD'), 'freebsd');
  assert.equal(osFromNode('linux', 'Linux'), 'linux');
  assert.equal(osFromNode('win32', 'Windows_NT'), null);
});

test("OpenBSD's sockaddr_storage is 256 bytes; the others' 128", () => {
  assert.equal(sockaddrStorageSizeFor('openbsd'), 256);
  for (const os of ['linux', 'darwin', 'freebsd', 'netbsd', 'dragonfly'] as const) assert.equal(sockaddrStorageSizeFor(os), 128, os);
});

test('EVFILT_EXCEPT and NOTE_OOB where the kernel has them (sys/event.h), 0 where it has not', () => {
  assert.deepEqual([constantsFor('darwin').EVFILT_EXCEPT, constantsFor('darwin').NOTE_OOB], [-15, 0x2]);
  assert.deepEqual([constantsFor('dragonfly').EVFILT_EXCEPT, constantsFor('dragonfly').NOTE_OOB], [-8, 0x2]);
  assert.deepEqual([constantsFor('openbsd').EVFILT_EXCEPT, constantsFor('openbsd').NOTE_OOB], [-9, 0x4]);
  assert.equal(constantsFor('freebsd').EVFILT_EXCEPT, 0);
});
