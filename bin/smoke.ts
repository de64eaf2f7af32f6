/**
 * `npm run smoke -- --url <api root> --api-key <key>`: a short black-box pass over a deployment
 * (or the local stack), plain HTTP only; prints a pass/fail table (lib/smoke/).
 *
 *   --url <url>        the API root with its stage, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/v1
 *                      (default $LONGRUN_URL)
 *   --api-key <key>    x-api-key (default $LONGRUN_API_KEY)
 *   --token <jwt>      a bearer token instead, for a JWT deployment (default $LONGRUN_TOKEN)
 *   --timeout <s>      bound on the whole run (default 120); checks left fail as "timed out"
 *   --json             the report as JSON on stdout instead of the table
 *
 * Exit codes: 0 every check passed (or was skipped), 1 a check failed, 2 usage error.
 * Tasks it creates: two primes, one fail, one sleep (cancelled at once).
 */
import { parseArgs } from 'node:util';
import { formatReport, runSmoke } from '../lib/smoke/run.ts';

const USAGE = 'usage: npm run smoke -- --url <api root> (--api-key <key> | --token <jwt>) [--timeout <seconds>] [--json]';

function usage(message: string): never {
  console.error(`smoke: ${message}\n${USAGE}`);
  process.exit(2);
}

// biome-ignore lint/suspicious/noImplicitAnyLet: typed by the parseArgs assignment below (inside try, so that a usage error exits 2)
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.LONGRUN_URL },
      'api-key': { type: 'string', default: process.env.LONGRUN_API_KEY },
      token: { type: 'string', default: process.env.LONGRUN_TOKEN },
      timeout: { type: 'string', default: '120' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }));
} catch (err) {
  usage((err as Error).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!args.url || !/^https?:\/\//.test(args.url)) usage('--url must be the API root, e.g. https://…/v1');
if (!args['api-key'] && !args.token) usage('--api-key or --token is required');
const timeoutSeconds = Number(args.timeout);
if (!(timeoutSeconds > 0)) usage(`--timeout must be a positive number of seconds, got ${args.timeout}`);

const report = await runSmoke({ url: args.url, apiKey: args['api-key'], token: args.token, timeoutSeconds });
process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
process.exit(report.ok ? 0 : 1);
