/**
 * One global secondary index change per deploy (CloudFormation's limit): the synthesized table
 * against test/infra/table-indexes.snapshot.json, what is deployed. See scripts/table-indexes.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type IndexShape, indexChanges, SNAPSHOT, tableIndexes } from '../../scripts/table-indexes.ts';
import { buildStack } from './fixture.ts';

const deployed = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, IndexShape>;

describe('task table indexes', () => {
  it('change by at most one creation or deletion from the deployed ones (ship more one deploy at a time)', () => {
    const changes = indexChanges(deployed, tableIndexes(buildStack().template));
    expect(
      changes.length,
      `${changes.join('; ')}. CloudFormation allows one index change per update: deploy them one at a time, then \`npx tsx scripts/table-indexes.ts --accept\`.`,
    ).toBeLessThanOrEqual(1);
  });

  const byOwner = deployed.tasksByOwner!;
  const added: IndexShape = { keys: ['type HASH', 'id RANGE'], projection: 'KEYS_ONLY' };
  it.each<[string, Record<string, IndexShape>, string[]]>([
    ['nothing', { ...deployed }, []],
    ['one index added', { ...deployed, byType: added }, ['create byType']],
    ['one index removed', { tasksByOwner: byOwner }, ['delete openTasks']],
    ['two indexes added', { ...deployed, byType: added, byDay: added }, ['create byType', 'create byDay']],
    [
      'a projection changed (a deletion and a creation)',
      { ...deployed, tasksByOwner: { ...byOwner, projection: 'ALL' } },
      ['delete tasksByOwner (its keys or projection change)', 'create tasksByOwner'],
    ],
    [
      'a key changed',
      { ...deployed, tasksByOwner: { ...byOwner, keys: ['owner HASH', 'createdAt RANGE'] } },
      ['delete tasksByOwner (its keys or projection change)', 'create tasksByOwner'],
    ],
  ])('counts %s', (_, next, expected) => {
    expect(indexChanges(deployed, next)).toEqual(expected);
  });
});
