// Preloaded into a Node server by bench/breakdown.ts. SIGUSR2 starts V8's
// CPU profiler in this process (so the profile covers only the measured
// window, not start-up and warm-up); SIGTERM stops it, writes the profile to
// $BREAKDOWN_PROFILE and exits.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env['BREAKDOWN_PROFILE'];
const session = new Session();
let started = false;

process.on('SIGUSR2', () => {
  if (started) return;
  started = true;
  session.connect();
  session.post('Profiler.enable', () => {
    session.post('Profiler.setSamplingInterval', { interval: 100 }, () => {
      session.post('Profiler.start');
    });
  });
});

process.on('SIGTERM', () => {
  if (!started || out === undefined) process.exit(0);
  session.post('Profiler.stop', (err, r) => {
    if (!err) writeFileSync(out, JSON.stringify(r.profile));
    process.exit(0);
  });
});
