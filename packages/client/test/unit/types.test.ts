/**
 * The client's types are generated from the OpenAPI document (scripts/client-types.ts, with
 * openapi-typescript) into src/schema/, one file per capability, and src/types.ts derives every
 * public type from them. This test regenerates them and fails if a committed file differs (or one
 * is left over), so the types cannot drift from the document (`npx tsc --noEmit` then checks the
 * client against them).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../../lambdas/api/openapi.ts';
import { DEMO_TASK_TYPES } from '../../../../lib/demo/task-types.ts';
import { CLIENT_SCHEMA_DIR, generateClientTypes } from '../../../../scripts/client-types.ts';
import { TASK_STATUSES, TERMINAL_STATUSES } from '../../src/types.ts';

describe('client types', () => {
  it('packages/client/src/schema/ is exactly what openapi-typescript generates from the document', async () => {
    const generated = await generateClientTypes();
    expect(readdirSync(CLIENT_SCHEMA_DIR).sort()).toEqual([...generated.keys()].sort());
    for (const [file, text] of generated) {
      expect(
        readFileSync(join(CLIENT_SCHEMA_DIR, file), 'utf8'),
        `stale ${file}: run \`npx tsx scripts/client-types.ts\` and commit packages/client/src/schema/`,
      ).toBe(text);
    }
  });

  it('splits the schemas by capability, each file small, and refers across files without a circle', async () => {
    const generated = await generateClientTypes();
    const names = Object.keys((openApiDocument(DEMO_TASK_TYPES) as any).components.schemas);
    const declared = [...generated.values()].flatMap((text) => [...text.matchAll(/^ {4}(\w+): /gm)].map((m) => m[1]));
    expect(declared.sort()).toEqual([...names].sort());
    for (const [file, text] of generated) expect(text.split('\n').length, file).toBeLessThan(300);
    expect(generated.get('tasks.ts')).toContain('awaitingInput?: SteeringSchemas["AwaitingInput"]');
  });

  it('the runtime status lists match the document', () => {
    const schemas = (openApiDocument(DEMO_TASK_TYPES) as any).components.schemas;
    expect([...TASK_STATUSES]).toEqual(schemas.TaskStatus.enum);
    for (const status of TERMINAL_STATUSES) expect(schemas.TaskStatus.enum).toContain(status);
  });
});
