/**
 * The task table's global secondary indexes against the ones last deployed (a committed snapshot):
 * CloudFormation creates or deletes at most one GSI per stack update, so a deploy that changes more
 * fails half-way. A changed index (keys, projection) is a deletion and a creation: two changes.
 *
 *   npx tsx scripts/table-indexes.ts            print the changes; exit 1 when there are more than one
 *   npx tsx scripts/table-indexes.ts --accept   write the snapshot: run it when the change is deployed everywhere
 *
 * More than one change: ship them one deploy at a time (add one index, deploy every stage, accept, then
 * the next).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { demoTemplate } from './demo-template.ts';

export const SNAPSHOT = new URL('../test/infra/table-indexes.snapshot.json', import.meta.url);

/** One GSI as CloudFormation compares it: what changing forces a deletion and a creation. */
export interface IndexShape {
  readonly keys: string[];
  readonly projection: string;
}

/** Every GSI of the template's one table, by name, keys and projection in a stable form. */
export function tableIndexes(template: Template): Record<string, IndexShape> {
  const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
  if (tables.length !== 1) throw new Error(`expected one DynamoDB table, found ${tables.length}`);
  const indexes = (tables[0]!.Properties.GlobalSecondaryIndexes ?? []) as Array<{
    IndexName: string;
    KeySchema: Array<{ AttributeName: string; KeyType: string }>;
    Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
  }>;
  return Object.fromEntries(
    indexes
      .map((index): [string, IndexShape] => [
        index.IndexName,
        {
          keys: index.KeySchema.map((key) => `${key.AttributeName} ${key.KeyType}`),
          projection: [index.Projection.ProjectionType, ...[...(index.Projection.NonKeyAttributes ?? [])].sort()].join(' '),
        },
      ])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** What a deploy from `deployed` to `next` does to the indexes, one line per create or delete. */
export function indexChanges(deployed: Record<string, IndexShape>, next: Record<string, IndexShape>): string[] {
  const changes: string[] = [];
  for (const [name, shape] of Object.entries(next)) {
    const before = deployed[name];
    if (!before) changes.push(`create ${name}`);
    else if (JSON.stringify(before) !== JSON.stringify(shape)) changes.push(`delete ${name} (its keys or projection change)`, `create ${name}`);
  }
  for (const name of Object.keys(deployed)) if (!next[name]) changes.push(`delete ${name}`);
  return changes;
}

function main(): void {
  const current = tableIndexes(demoTemplate());
  if (process.argv.includes('--accept')) {
    writeFileSync(SNAPSHOT, `${JSON.stringify(current, null, 2)}\n`);
    process.stdout.write(`wrote ${SNAPSHOT.pathname}\n`);
    return;
  }
  const changes = indexChanges(JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, IndexShape>, current);
  process.stdout.write(changes.length === 0 ? 'no index change\n' : `${changes.join('\n')}\n`);
  if (changes.length > 1) {
    process.stderr.write('More than one index change in one deploy: CloudFormation allows one. Ship them one deploy at a time.\n');
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
