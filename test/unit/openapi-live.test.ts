/** The OpenAPI document of a deployment without the live channel (`liveUpdates: false`) names none of it, and stays whole. */
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#api/openapi';
import { DEMO_TASK_TYPES } from '../../lib/demo/task-types.ts';

type Json = Record<string, any>;
const full = openApiDocument(DEMO_TASK_TYPES) as Json;
const withoutLive = openApiDocument(DEMO_TASK_TYPES, { liveUpdates: false }) as Json;

/** Every `$ref` in a document. */
const refsOf = (document: Json): Array<[string, string]> =>
  [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/(\w+)\/([^"]+)"/g)].map((m) => [m[1]!, m[2]!]);

describe('openApiDocument without the live channel', () => {
  it('by default describes POST /watch-tokens, its tag, schemas and paragraph', () => {
    expect(full.paths['/watch-tokens'].post.operationId).toBe('createWatchToken');
    expect(full.tags.map((t: { name: string }) => t.name)).toContain('live');
    expect(full.components.schemas).toHaveProperty('WatchToken');
    expect(full.info.description).toContain('POST /watch-tokens');
  });

  it('with liveUpdates: false names none of it, and keeps everything else', () => {
    expect(withoutLive.paths).not.toHaveProperty('/watch-tokens');
    expect(withoutLive.tags.map((t: { name: string }) => t.name)).not.toContain('live');
    expect(Object.keys(withoutLive.components.schemas).filter((name) => name.startsWith('WatchToken'))).toEqual([]);
    expect(JSON.stringify(withoutLive)).not.toMatch(/watch-tokens|WatchToken|live channel/i);
    expect(Object.keys(withoutLive.paths)).toEqual(Object.keys(full.paths).filter((path) => path !== '/watch-tokens'));
    expect(withoutLive.info.description.split('\n\n')).toHaveLength(full.info.description.split('\n\n').length - 1);
  });

  it('with liveUpdates: false leaves no reference dangling and no operation under an undeclared tag', () => {
    for (const [kind, name] of refsOf(withoutLive)) expect(withoutLive.components[kind], `${kind}/${name}`).toHaveProperty(name);
    const declared = new Set(withoutLive.tags.map((t: { name: string }) => t.name));
    for (const operations of Object.values(withoutLive.paths) as Json[]) {
      for (const operation of Object.values(operations) as Json[]) for (const tag of operation.tags ?? []) expect(declared).toContain(tag);
    }
  });
});
