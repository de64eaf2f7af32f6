/**
 * `longrun`: the command line client of the Longrun API (`npm run longrun -- <command>`).
 * Only wiring here; the commands and rendering are in lib/client/cli.ts.
 *
 * Ctrl-C stops waiting (not the task) and says how to cancel; a second Ctrl-C exits at once.
 */
import { EXIT, runCli } from '../lib/client/cli.ts';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
  interrupt.abort(new Error('interrupted'));
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
});
process.exitCode = code;
