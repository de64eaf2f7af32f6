/**
 * The client's types are generated from the OpenAPI document (scripts/client-types.ts, with
 * openapi-typescript) into src/schema.ts, and src/types.ts derives every public
 * type from that file. This test regenerates it and fails if the committed file differs, so the
 * types cannot drift from the document (`npx tsc --noEmit` then checks the client against them).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../../lambdas/api/openapi.ts';
import { DEMO_TASK_TYPES } from '../../../../lib/demo/task-types.ts';
import { CLIENT_SCHEMA_PATH, generateClientTypes } from '../../../../scripts/client-types.ts';
import { TASK_STATUSES, TERMINAL_STATUSES } from '../../src/types.ts';

describe('client types', () => {
  it('packages/client/src/schema.ts is exactly what openapi-typescript generates from the document', async () => {
    const generated = await generateClientTypes();
    const committed = readFileSync(CLIENT_SCHEMA_PATH, 'utf8');
    expect(committed, 'stale: run `npx tsx scripts/client-types.ts` and commit packages/client/src/schema.ts').toBe(generated);
  });

  it('the runtime status lists match the document', () => {
    const schemas = (openApiDocument(DEMO_TASK_TYPES) as any).components.schemas;
    expect([...TASK_STATUSES]).toEqual(schemas.TaskStatus.enum);
    for (const status of TERMINAL_STATUSES) expect(schemas.TaskStatus.enum).toContain(status);
  });
});
