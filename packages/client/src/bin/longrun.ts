#!/usr/bin/env node
/**
 * `longrun`: the command line client of the Longrun API. Only wiring here; the commands and
 * their rendering are in ../cli.ts.
 *
 * Ctrl-C stops waiting (not the task) and says how to cancel; a second Ctrl-C exits at once.
 */
import { EXIT, runCli } from '../cli.ts';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
  interrupt.abort(new Error('interrupted'));
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
});
