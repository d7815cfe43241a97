import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpError, isClosedError, isTimeoutError, wrapError } from '../../src/net/errors.ts';
import { Addr, AddrError } from '../../src/net/addr.ts';
import { DeadlineExceededError, NetClosingError } from '../../src/netpoll/errors.ts';
import { SyscallError } from '../../src/sys/syscall-error.ts';
import { C } from '../../src/sys/constants.ts';

const local = Addr.tcp(Uint8Array.of(127, 0, 0, 1), 5555);
const remote = Addr.tcp(Uint8Array.of(127, 0, 0, 1), 1);

test('OpError messages read like Go\'s', () => {
  const refused = new OpError({ op: 'dial', net: 'tcp', addr: remote, cause: new SyscallError('connect', C.ECONNREFUSED) });
  assert.equal(refused.message, 'dial tcp 127.0.0.1:1: connect: connection refused');
  assert.equal(refused.code, 'ECONNREFUSED');
  assert.equal(refused.syscall, 'connect');
  assert.equal(refused.timeout, false);
  assert.ok(refused.cause instanceof SyscallError);

  const timeout = new OpError({ op: 'read', net: 'tcp', source: local, addr: remote, cause: new DeadlineExceededError() });
  assert.equal(timeout.message, 'read tcp 127.0.0.1:5555->127.0.0.1:1: i/o timeout');
  assert.equal(timeout.code, 'ETIMEDOUT');
  assert.equal(timeout.timeout, true);
  assert.ok(isTimeoutError(timeout));

  const closed = new OpError({ op: 'accept', net: 'tcp', source: local, cause: new NetClosingError() });
  assert.equal(closed.message, 'accept tcp 127.0.0.1:5555: use of closed network connection');
  assert.equal(closed.code, 'ERR_NETPOLL_CLOSED');

  const bad = new OpError({ op: 'dial', net: 'tcp', cause: new AddrError('missing port in address', '127.0.0.1') });
  assert.equal(bad.message, 'dial tcp: address 127.0.0.1: missing port in address');
});

test('isClosedError sees through OpError and cause chains', () => {
  assert.ok(isClosedError(new NetClosingError()));
  assert.ok(isClosedError(new OpError({ op: 'read', net: 'tcp', cause: new NetClosingError() })));
  assert.ok(!isClosedError(new OpError({ op: 'read', net: 'tcp', cause: new SyscallError('read', C.ECONNRESET) })));
  assert.ok(!isClosedError(null));
  assert.ok(!isClosedError(new Error('x')));
});

test('wrapError keeps abort reasons and programming errors as they are', () => {
  const ac = new AbortController();
  ac.abort();
  assert.equal(wrapError(ac.signal.reason, { op: 'read', net: 'tcp' }, ac.signal), ac.signal.reason);
  const te = new TypeError('bad');
  assert.equal(wrapError(te, { op: 'read', net: 'tcp' }), te);
  const op = new OpError({ op: 'read', net: 'tcp', cause: new NetClosingError() });
  assert.equal(wrapError(op, { op: 'write', net: 'tcp' }), op);
  assert.ok(wrapError(new SyscallError('write', C.EPIPE), { op: 'write', net: 'tcp' }) instanceof OpError);
});
