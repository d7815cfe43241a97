import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIP, parseIP, to4 } from '../../src/net/ip.ts';
import {
  Addr, AddrError, checkNetwork, joinHostPort, parsePort, resolveTCPAddrs, splitHostPort, UnknownNetworkError,
} from '../../src/net/addr.ts';

test('parseIP / formatIP follow Go (RFC 5952, no leading zeros, v4-mapped dotted)', () => {
  const cases: [string, string | null][] = [
    ['127.0.0.1', '127.0.0.1'], ['0.0.0.0', '0.0.0.0'], ['255.255.255.255', '255.255.255.255'],
    ['::', '::'], ['::1', '::1'], ['1::', '1::'], ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['::ffff:10.1.2.3', '10.1.2.3'], ['fe80::1', 'fe80::1'], ['FE80::ABCD', 'fe80::abcd'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['256.0.0.1', null], ['1.2.3', null], ['01.2.3.4', null], ['1.2.3.4.5', null], ['', null],
    ['1:2:3:4:5:6:7:8:9', null], ['1::2::3', null], [':::', null], ['1:2:3:4:5:6:7:8::', null],
    ['12345::', null], ['1:2', null], ['localhost', null], ['1.2.3.4:80', null],
  ];
  for (const [input, want] of cases) {
    const ip = parseIP(input);
    assert.equal(ip === null ? null : formatIP(ip), want, input);
  }
  assert.equal(parseIP('1.2.3.4')!.length, 4);
  assert.equal(to4(parseIP('::ffff:1.2.3.4')!)!.join('.'), '1.2.3.4');
});

test('splitHostPort and joinHostPort, with Go\'s error texts', () => {
  assert.deepEqual(splitHostPort('127.0.0.1:8080'), ['127.0.0.1', '8080']);
  assert.deepEqual(splitHostPort('[::1]:0'), ['::1', '0']);
  assert.deepEqual(splitHostPort(':0'), ['', '0']);
  assert.deepEqual(splitHostPort('localhost:http'), ['localhost', 'http']);
  assert.deepEqual(splitHostPort('[fe80::1%eth0]:80'), ['fe80::1%eth0', '80']);
  const bad: [string, string][] = [
    ['127.0.0.1', 'address 127.0.0.1: missing port in address'],
    ['[::1', "address [::1: missing ']' in address"],
    ['[::1]', 'address [::1]: missing port in address'],
    ['::1:80', 'address ::1:80: too many colons in address'],
    ['[::1]:80:90', 'address [::1]:80:90: too many colons in address'],
    ['a[b]:80', "address a[b]:80: unexpected '[' in address"],
    ['ab]:80', "address ab]:80: unexpected ']' in address"],
  ];
  for (const [input, msg] of bad) assert.throws(() => splitHostPort(input), (e: unknown) => e instanceof AddrError && e.message === msg, input);
  assert.equal(joinHostPort('::1', '80'), '[::1]:80');
  assert.equal(joinHostPort('1.2.3.4', '80'), '1.2.3.4:80');
});

test('ports: range checks and service names', () => {
  assert.equal(parsePort('0'), 0);
  assert.equal(parsePort(''), 0);
  assert.equal(parsePort('65535'), 65535);
  assert.equal(parsePort('http'), 80);
  assert.throws(() => parsePort('99999'), /^AddrError: address 99999: invalid port$/);
  assert.throws(() => parsePort('65536'), /invalid port/);
  assert.throws(() => parsePort('-1'), /invalid port/);
  assert.throws(() => parsePort('nosuchservice'), /unknown port/);
});

test('resolveTCPAddrs: literals, wildcard, families, bad addresses', async () => {
  const a = await resolveTCPAddrs('tcp', '127.0.0.1:8080');
  assert.equal(a.addrs.length, 1);
  assert.equal(a.addrs[0]!.toString(), '127.0.0.1:8080');
  assert.equal(a.wildcard, false);
  const w = await resolveTCPAddrs('tcp', ':0');
  assert.deepEqual([w.addrs.length, w.port, w.wildcard], [0, 0, true]);
  const six = await resolveTCPAddrs('tcp6', '[::1]:0');
  assert.equal(six.addrs[0]!.toString(), '[::1]:0');
  await assert.rejects(resolveTCPAddrs('tcp4', '[::1]:0'), /address ::1: no suitable address found/);
  await assert.rejects(resolveTCPAddrs('tcp6', '127.0.0.1:0'), /no suitable address found/);
  await assert.rejects(resolveTCPAddrs('tcp', '127.0.0.1'), /missing port in address/);
  await assert.rejects(resolveTCPAddrs('tcp', ':99999'), /address 99999: invalid port/);
  await assert.rejects(resolveTCPAddrs('tcp', '[::1'), /missing '\]' in address/);
  await assert.rejects(resolveTCPAddrs('tcp', '1.2.3.4%eth0:80'), /IPv4 address with a zone/);
});

test('resolveTCPAddrs: localhost through node:dns, filtered by network', async () => {
  const any = await resolveTCPAddrs('tcp', 'localhost:0');
  assert.ok(any.addrs.length >= 1);
  assert.equal(any.addrs[0]!.address, '127.0.0.1'); // IPv4 first, as Go's listen picks
  const four = await resolveTCPAddrs('tcp4', 'localhost:0');
  assert.ok(four.addrs.every((x) => x.ip!.length === 4));
  await assert.rejects(resolveTCPAddrs('tcp', 'no-such-host.invalid:80'), /address no-such-host.invalid: no such host/);
});

test('resolveTCPAddrs: an aborted signal rejects with its reason', async () => {
  const ac = new AbortController();
  const reason = new Error('stop');
  ac.abort(reason);
  await assert.rejects(resolveTCPAddrs('tcp', 'localhost:0', { signal: ac.signal }), (e) => e === reason);
});

test('Addr: Go forms and zones', () => {
  assert.equal(Addr.tcp(Uint8Array.of(127, 0, 0, 1), 80).toString(), '127.0.0.1:80');
  assert.equal(Addr.tcp(new Uint8Array(16), 0).toString(), '[::]:0');
  const z = Addr.fromSockaddr({ family: 'inet6', ip: parseIP('fe80::1')!, port: 9, scopeId: 1 });
  assert.match(z.toString(), /^\[fe80::1%(lo|lo0)\]:9$/);
  assert.equal(z.toSockaddr().family, 'inet6');
  const u = Addr.unix('/tmp/s');
  assert.deepEqual([u.network, u.address, u.port, String(u)], ['unix', '/tmp/s', 0, '/tmp/s']);
  // An IPv4 address in an AF_INET6 socket is v4-mapped; the v4 wildcard becomes ::.
  const m = Addr.tcp(Uint8Array.of(127, 0, 0, 1), 1).toSockaddr('inet6');
  assert.equal(m.family === 'inet6' && formatIP(m.ip), '127.0.0.1');
  const any = Addr.tcp(new Uint8Array(4), 1).toSockaddr('inet6');
  assert.equal(any.family === 'inet6' && formatIP(any.ip), '::');
});

test('checkNetwork', () => {
  for (const n of ['tcp', 'tcp4', 'tcp6', 'unix']) assert.equal(checkNetwork(n), n);
  assert.throws(() => checkNetwork('udp'), UnknownNetworkError);
  assert.throws(() => checkNetwork('udp'), /unknown network udp/);
});
