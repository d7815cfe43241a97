import { test } from 'node:test';
import assert from 'node:assert/strict';
import { C } from '../../src/sys/constants.ts';
import { IS_LINUX } from '../../src/sys/platform.ts';
import {
  decodeSockaddr, encodeSockaddr, sockaddrFamily, SockaddrError, SUN_PATH_LEN,
  SIZEOF_SOCKADDR_IN, SIZEOF_SOCKADDR_IN6, ifNameToIndex, ifIndexToName,
} from '../../src/sys/sockaddr.ts';

test('sockaddr_in round trip: family, network-order port, address', () => {
  const { bytes, length } = encodeSockaddr({ family: 'inet4', ip: Uint8Array.of(127, 0, 0, 1), port: 8080 });
  assert.equal(length, SIZEOF_SOCKADDR_IN);
  assert.equal(sockaddrFamily(bytes), C.AF_INET);
  assert.deepEqual([...bytes.subarray(2, 8)], [0x1f, 0x90, 127, 0, 0, 1]);
  if (IS_LINUX) assert.deepEqual([...bytes.subarray(0, 2)], [C.AF_INET, 0]);
  else assert.deepEqual([...bytes.subarray(0, 2)], [16, C.AF_INET]);
  const sa = decodeSockaddr(bytes, length);
  assert.equal(sa.family, 'inet4');
  if (sa.family !== 'inet4') return;
  assert.equal(sa.port, 8080);
  assert.deepEqual([...sa.ip], [127, 0, 0, 1]);
});

test('sockaddr_in6 round trip keeps flowinfo and scope id', () => {
  const ip = new Uint8Array(16); ip[0] = 0xfe; ip[1] = 0x80; ip[15] = 1;
  const { bytes, length } = encodeSockaddr({ family: 'inet6', ip, port: 65535, flowinfo: 0x12345, scopeId: 7 });
  assert.equal(length, SIZEOF_SOCKADDR_IN6);
  assert.equal(sockaddrFamily(bytes), C.AF_INET6);
  assert.deepEqual([...bytes.subarray(4, 8)], [0, 1, 0x23, 0x45]); // flow label, network order
  const sa = decodeSockaddr(bytes, length);
  assert.equal(sa.family, 'inet6');
  if (sa.family !== 'inet6') return;
  assert.equal(sa.port, 65535);
  assert.equal(sa.flowinfo, 0x12345);
  assert.equal(sa.scopeId, 7);
  assert.deepEqual([...sa.ip], [...ip]);
});

test('sockaddr_un: a path carries its NUL in the length', () => {
  const { bytes, length } = encodeSockaddr({ family: 'unix', path: '/tmp/x.sock' });
  assert.equal(length, 2 + 11 + 1);
  assert.equal(bytes[2 + 11], 0);
  assert.equal(sockaddrFamily(bytes), C.AF_UNIX);
  assert.deepEqual(decodeSockaddr(bytes, length), { family: 'unix', path: '/tmp/x.sock' });
});

test('sockaddr_un: UTF-8 paths count bytes, not characters', () => {
  const { length } = encodeSockaddr({ family: 'unix', path: '/tmp/é' });
  assert.equal(length, 2 + 7 + 1);
});

test('sockaddr_un: path length limits', () => {
  const max = 'a'.repeat(SUN_PATH_LEN - 1);
  assert.equal(encodeSockaddr({ family: 'unix', path: max }).length, 2 + SUN_PATH_LEN);
  assert.throws(() => encodeSockaddr({ family: 'unix', path: max + 'a' }), SockaddrError);
  assert.throws(() => encodeSockaddr({ family: 'unix', path: 'a\0b' }), SockaddrError);
});

test('sockaddr_un: Linux abstract names and autobind', { skip: !IS_LINUX }, () => {
  const { bytes, length } = encodeSockaddr({ family: 'unix', path: '@netpoll' });
  assert.equal(length, 2 + 8); // '@' becomes the leading NUL; no trailing NUL
  assert.equal(bytes[2], 0);
  assert.deepEqual(decodeSockaddr(bytes, length), { family: 'unix', path: '@netpoll' });
  // An abstract name may fill sun_path completely.
  assert.equal(encodeSockaddr({ family: 'unix', path: '@' + 'a'.repeat(SUN_PATH_LEN - 1) }).length, 2 + SUN_PATH_LEN);
  // Empty: autobind, family only; and an unnamed peer decodes to ''.
  assert.equal(encodeSockaddr({ family: 'unix', path: '' }).length, 2);
  assert.deepEqual(decodeSockaddr(Uint8Array.of(C.AF_UNIX, 0), 2), { family: 'unix', path: '' });
});

test('sockaddr_un: BSD rejects an empty path', { skip: IS_LINUX }, () => {
  assert.throws(() => encodeSockaddr({ family: 'unix', path: '' }), SockaddrError);
});

test('encode checks ports, address sizes and 32-bit fields', () => {
  assert.throws(() => encodeSockaddr({ family: 'inet4', ip: Uint8Array.of(1, 2, 3, 4), port: 65536 }), SockaddrError);
  assert.throws(() => encodeSockaddr({ family: 'inet4', ip: Uint8Array.of(1, 2, 3, 4), port: -1 }), SockaddrError);
  assert.throws(() => encodeSockaddr({ family: 'inet4', ip: new Uint8Array(16), port: 1 }), SockaddrError);
  assert.throws(() => encodeSockaddr({ family: 'inet6', ip: new Uint8Array(4), port: 1 }), SockaddrError);
  assert.throws(() => encodeSockaddr({ family: 'inet6', ip: new Uint8Array(16), port: 1, scopeId: 2 ** 32 }), SockaddrError);
});

test('decode checks lengths against the buffer', () => {
  const { bytes } = encodeSockaddr({ family: 'inet4', ip: Uint8Array.of(1, 2, 3, 4), port: 1 });
  assert.throws(() => decodeSockaddr(bytes, 17), SockaddrError);
  assert.throws(() => decodeSockaddr(bytes, 4), SockaddrError);
  assert.throws(() => decodeSockaddr(bytes.subarray(0, 1), 1), SockaddrError);
  const six = encodeSockaddr({ family: 'inet6', ip: new Uint8Array(16), port: 1 });
  assert.throws(() => decodeSockaddr(six.bytes, 20), SockaddrError);
  const odd = new Uint8Array(16);
  if (IS_LINUX) odd[0] = 99; else { odd[0] = 16; odd[1] = 99; }
  assert.throws(() => decodeSockaddr(odd), /unsupported address family 99/);
});

test('decode reads from a view at an offset (sockaddr_storage slices)', () => {
  const store = new Uint8Array(128 + 8);
  store.set(encodeSockaddr({ family: 'inet4', ip: Uint8Array.of(10, 0, 0, 9), port: 443 }).bytes, 8);
  const sa = decodeSockaddr(store.subarray(8), 16);
  assert.equal(sa.family, 'inet4');
  if (sa.family === 'inet4') { assert.equal(sa.port, 443); assert.deepEqual([...sa.ip], [10, 0, 0, 9]); }
});

test('interface names and indexes (zones)', () => {
  const lo = IS_LINUX ? 'lo' : 'lo0';
  const idx = ifNameToIndex(lo);
  assert.ok(idx > 0);
  assert.equal(ifIndexToName(idx), lo);
  assert.equal(ifNameToIndex('no-such-if0'), 0);
  assert.equal(ifIndexToName(0x7ffffff0), null);
});
