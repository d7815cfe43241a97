// A server started with its listening sockets already open (systemd socket
// activation, or anything passing LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES):
// no bind, no port of its own, and connections wait in the kernel's queue
// while it starts.
// Run: systemd-socket-activate -l 127.0.0.1:7009 --fdname=greeter node --import tsx examples/socket-activated.ts
import { systemdListeners } from '../src/net/index.ts';

const passed = systemdListeners();
if (passed.length === 0) throw new Error('no sockets passed (LISTEN_FDS is not set for this process)');
await Promise.all(passed.map(async ({ name, listener }) => {
  if (!listener) return;
  console.log(`serving ${name} on ${listener.addr.toString()}`);
  for await (const conn of listener) {
    await conn.write(new TextEncoder().encode(`hello from ${name}\n`));
    await conn.close();
    if (process.env['ONE_SHOT']) await listener.close();
  }
}));
