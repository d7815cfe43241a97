// A stream socket's read that returns less than it asked for took all the
// kernel had (epoll(7)): the next read parks without a system call unless
// readiness came since. These check the cases where a short read leaves
// bytes behind, which must never strand a reader: a FIN that came with the
// data, TCP's urgent mark, and a mix with raw reads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { C } from '../../src/sys/constants.ts';
import * as sock from '../../src/sys/socket.ts';
import { dial, listen, serve } from '../../src/net/index.ts';
import { DEFAULT_BUDGET, setBudget, spend } from '../../src/netpoll/budget.ts';
import { counters } from '../../src/netpoll/stats.ts';
import { backendCases as backends } from '../helpers/backends.ts';
import { connectedPair } from '../helpers/net.ts';

async function readAll(conn: { readChunk(): Promise<Uint8Array | null> }): Promise<string> {
  let s = '';
  for (;;) {
    const c = await conn.readChunk();
    if (c === null) return s;
    s += Buffer.from(c).toString('latin1');
  }
}

for (const b of backends) {
  describe(`short reads (${b.backend})`, { skip: b.skip ?? false }, () => {
    test('data and a FIN that arrived together: the short read, then end of stream', async () => {
      const np = b.make();
      const p = await connectedPair(np);
      try {
        await p.client.write(Buffer.from('hello'));
        p.client.closeWrite();
        await sleep(20); // both are in the kernel, and the drain has seen the edge, before the first read
        assert.equal(Buffer.from((await p.server.readChunk())!).toString(), 'hello');
        assert.equal(await p.server.readChunk(), null);
      } finally {
        await p.closeAll();
        np.shutdown();
      }
    });

    test('a drained read is not charged: with the turn\'s budget spent it parks at once, then gets the bytes that come later', async () => {
      const np = b.make();
      const p = await connectedPair(np);
      setBudget(1);
      try {
        await p.client.write(Buffer.from('a'));
        await sleep(20);
        assert.equal(Buffer.from((await p.server.readChunk())!).toString(), 'a'); // short: drained
        // Started with the turn's budget spent: not put off (parking does no work), parked without a read(2).
        while (spend()) { /* the turn's budget, spent for sure */ }
        const deferrals = counters.budgetDeferrals;
        const next = p.server.readChunk();
        // kqueue says nothing of urgent data, so there a short read never counts as drained: that read is charged.
        if (b.backend === 'epoll') assert.equal(counters.budgetDeferrals, deferrals, 'the drained read was not put off');
        await sleep(20);
        await p.client.write(Buffer.from('b'));
        assert.equal(Buffer.from((await next)!).toString(), 'b');
      } finally {
        setBudget(DEFAULT_BUDGET);
        await p.closeAll();
        np.shutdown();
      }
    });

    test('data and a FIN that arrive while the reader is between reads', async () => {
      const np = b.make();
      const p = await connectedPair(np);
      try {
        const first = p.server.readChunk();
        await p.client.write(Buffer.from('a'));
        assert.equal(Buffer.from((await first)!).toString(), 'a');
        await p.client.write(Buffer.from('b'));
        p.client.closeWrite();
        await sleep(20);
        assert.equal(await readAll(p.server), 'b');
      } finally {
        await p.closeAll();
        np.shutdown();
      }
    });

    test('urgent data stops a read at its mark; the bytes after it still arrive', async () => {
      const np = b.make();
      const p = await connectedPair(np);
      try {
        // One message with the urgent mark inside: the kernel ends a read at the mark.
        await p.client.write(Buffer.from('abc'));
        p.client.syscallConn().control((fd) => {
          assert.equal(sock.send(fd, Buffer.from('X'), 1, C.MSG_OOB), 1);
        });
        await p.client.write(Buffer.from('def'));
        await sleep(20); // all of it in the kernel before the first read; no FIN to wake the reader
        // The urgent byte itself is out of band (no SO_OOBINLINE): the stream is the rest.
        let got = '';
        while (got.length < 6) got += Buffer.from((await p.server.readChunk())!).toString('latin1');
        assert.equal(got, 'abcdef');
      } finally {
        await p.closeAll();
        np.shutdown();
      }
    });

    test('a short read, then a raw read that takes part of what came next, then a read: nothing is stranded', async () => {
      const np = b.make();
      const p = await connectedPair(np);
      try {
        await p.client.write(Buffer.from('1'));
        assert.equal(Buffer.from((await p.server.readChunk())!).toString(), '1');
        await p.client.write(Buffer.from('234'));
        await sleep(20);
        const one = new Uint8Array(1);
        await p.server.syscallConn().read((fd) => sock.recv(fd, one, 1, 0) !== -C.EAGAIN);
        assert.equal(String.fromCharCode(one[0]!), '2');
        assert.equal(Buffer.from((await p.server.readChunk())!).toString(), '34');
      } finally {
        await p.closeAll();
        np.shutdown();
      }
    });

    test('many small messages one by one: each read returns the next one', async () => {
      const np = b.make();
      const p = await connectedPair(np);
      try {
        for (let i = 0; i < 200; i++) {
          await p.client.write(Buffer.from([i & 0xff]));
          const c = await p.server.readChunk();
          assert.deepEqual([...c!], [i & 0xff]);
        }
      } finally {
        await p.closeAll();
        np.shutdown();
      }
    });

    test('serve(): urgent data and a FIN behind short reads still reach the handler', async () => {
      const np = b.make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      let got = '';
      let ended!: () => void;
      const end = new Promise<void>((r) => { ended = r; });
      let seen!: () => void;
      const six = new Promise<void>((r) => { seen = r; });
      const served = serve(ln, {
        onData(_c, chunk) { got += Buffer.from(chunk).toString('latin1'); if (got.length >= 6) seen(); },
        onEnd() { ended(); },
      });
      const client = await dial('tcp', String(ln.addr), { netpoll: np });
      try {
        await client.write(Buffer.from('abc'));
        client.syscallConn().control((fd) => { sock.send(fd, Buffer.from('X'), 1, C.MSG_OOB); });
        await client.write(Buffer.from('def'));
        await six; // no FIN yet: only the urgent mark's event can tell the reader to read on
        assert.equal(got, 'abcdef');
        await client.write(Buffer.from('g'));
        client.closeWrite();
        await end;
        assert.equal(got, 'abcdefg');
      } finally {
        await client.close();
        await ln.close();
        await served;
        np.shutdown();
      }
    });
  });
}
