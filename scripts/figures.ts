/**
 * The figures docs/deploy.md quotes (resources, functions, alarms, WAF rules, reserved concurrency…),
 * counted in the demo stack's synthesized template so they cannot drift from it. They go between the
 * `figures` markers of docs/deploy.md.
 *
 *   npx tsx scripts/figures.ts           rewrite the table in docs/deploy.md
 *   npx tsx scripts/figures.ts --check   exit 1 if the committed table differs from the template (npm test checks it)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { demoTemplate } from './demo-template.ts';

export const DEPLOY_DOC = new URL('../docs/deploy.md', import.meta.url);
const BEGIN = '<!-- figures:begin (npx tsx scripts/figures.ts) -->';
const END = '<!-- figures:end -->';

/** Lambda's default concurrency quota of an account, and what it keeps unreserved. */
const ACCOUNT_CONCURRENCY = 1000;
const UNRESERVED_MINIMUM = 100;

interface Resource {
  Type: string;
  Properties?: { AlarmName?: string; Rules?: unknown[]; ReservedConcurrentExecutions?: number };
  Metadata?: Record<string, unknown>;
}

/** The figures of a template, as rows of the table. */
export function figures(template: Template): Array<[string, string]> {
  const resources = Object.values(template.toJSON().Resources as Record<string, Resource>);
  const count = (type: string) => resources.filter((r) => r.Type === type).length;
  const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function');
  // Longrun's own functions name themselves (lib/task-api/function.ts); the rest are the worker's.
  const own = functions.filter((fn) => typeof fn.Metadata?.['Longrun:Function'] === 'string').length;
  const alarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => String(r.Properties?.AlarmName ?? ''));
  const critical = alarms.filter((name) => name.endsWith('-Critical')).length;
  const webAcl = resources.find((r) => r.Type === 'AWS::WAFv2::WebACL');
  const reserved = functions.reduce((sum, fn) => sum + Number(fn.Properties?.ReservedConcurrentExecutions ?? 0), 0);
  const copies = reserved === 0 ? '∞' : String(Math.floor((ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM) / reserved));
  return [
    ['CloudFormation resources', String(resources.length)],
    ['Lambda functions (Longrun + demo worker)', `${functions.length} (${own} + ${functions.length - own})`],
    ['`live` aliases / CodeDeploy deployment groups', `${count('AWS::Lambda::Alias')} / ${count('AWS::CodeDeploy::DeploymentGroup')}`],
    ['Alarms (critical / warning)', `${alarms.length} (${critical} / ${alarms.length - critical})`],
    ['WAF rules', String(webAcl?.Properties?.Rules?.length ?? 0)],
    ['Log groups', String(count('AWS::Logs::LogGroup'))],
    ['SQS queues (dead-letter and failure queues included)', String(count('AWS::SQS::Queue'))],
    ['SNS topics (critical, warning)', String(count('AWS::SNS::Topic'))],
    ['KMS keys', String(count('AWS::KMS::Key'))],
    ['Reserved concurrency, all functions', String(reserved)],
    [`Copies that fit an account quota of ${ACCOUNT_CONCURRENCY.toLocaleString('en')} (${UNRESERVED_MINIMUM} stay unreserved)`, copies],
  ];
}

/** The Markdown table between the markers. */
export function renderFigures(rows: Array<[string, string]>): string {
  return [BEGIN, '| figure | value |', '| --- | --- |', ...rows.map(([label, value]) => `| ${label} | ${value} |`), END].join('\n');
}

/** The table docs/deploy.md holds now. */
export function committedFigures(doc: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/deploy.md has no figures section (${BEGIN} … ${END})`);
  return doc.slice(begin, end + END.length);
}

function main(): void {
  const doc = readFileSync(DEPLOY_DOC, 'utf8');
  const fresh = renderFigures(figures(demoTemplate()));
  const committed = committedFigures(doc);
  if (process.argv.includes('--check')) {
    if (committed !== fresh) {
      process.stderr.write('docs/deploy.md figures are stale: run `npx tsx scripts/figures.ts` and commit docs/deploy.md.\n');
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(DEPLOY_DOC, doc.replace(committed, fresh));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
