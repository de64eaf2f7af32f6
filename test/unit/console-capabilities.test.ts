/**
 * The console reads what a deployment offers from its OpenAPI document: today's document, and one with the
 * operations issue 18 ("Steer and find") adds, which must light the console's controls up with no change.
 */
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#api/openapi';
import { detectCapabilities, resolveRefs, taskPath } from '../../lambdas/console/capabilities.ts';
import { DEMO_TASK_TYPES } from '../../lib/demo/task-types.ts';

const today = () => structuredClone(openApiDocument(DEMO_TASK_TYPES)) as Record<string, any>;

/** Today's document plus the operations and fields issue 18 describes (shared/DESIGN.md, "Steering a task", "Finding tasks"). */
function withSteering(): Record<string, any> {
  const doc = today();
  const op = (operationId: string) => ({ operationId, responses: { '202': { description: 'ok' } } });
  doc.paths['/tasks/{id}/retry'] = { parameters: [{ $ref: '#/components/parameters/TaskId' }], post: op('retryTask') };
  doc.paths['/tasks/{id}/input'] = { parameters: [{ $ref: '#/components/parameters/TaskId' }], post: op('sendTaskInput') };
  doc.paths['/tasks/{id}/history'] = { parameters: [{ $ref: '#/components/parameters/TaskId' }], get: op('getTaskHistory') };
  doc.paths['/tasks/{id}'].delete.parameters = [{ name: 'purge', in: 'query', schema: { type: 'boolean' } }];
  doc.paths['/tasks'].post.parameters.push({ name: 'Cancel-After', in: 'header', schema: { type: 'string' } });
  doc.paths['/tasks'].get.parameters.push(
    { name: 'type', in: 'query', schema: { type: 'string' } },
    { name: 'metadata.{key}', in: 'query', schema: { type: 'string' } },
    { name: 'createdAfter', in: 'query', schema: { type: 'string', format: 'date-time' } },
    { name: 'createdBefore', in: 'query', schema: { type: 'string', format: 'date-time' } },
  );
  for (const type of Object.keys(DEMO_TASK_TYPES)) {
    doc.components.schemas[`Submit_${type}`].properties.metadata = { type: 'object', maxProperties: 16, additionalProperties: { type: 'string' } };
  }
  return doc;
}

describe('console capabilities', () => {
  it('the served document: the demo task types, every list filter, the event stream, the live channel, the steering operations', () => {
    const caps = detectCapabilities(today());
    expect(caps.taskTypes.map((t) => t.name)).toEqual(Object.keys(DEMO_TASK_TYPES));
    expect(caps.taskTypes.find((t) => t.name === 'primes')!.schema).toMatchObject({
      properties: {
        type: { const: 'primes' },
        input: { properties: { upTo: { type: 'integer', maximum: 10_000_000 } } },
        callbackUrl: { type: 'string' },
      },
    });
    expect(caps.taskTypes.find((t) => t.name === 'sleep')!.description).toMatch(/Wait state/);
    expect(caps.statuses).toEqual(['pending', 'running', 'succeeded', 'failed', 'cancelled']);
    expect(caps.listFilters).toEqual({ status: true, type: true, metadata: true, createdAfter: true, createdBefore: true });
    expect(caps.listMaxLimit).toBe(100);
    expect(caps).toMatchObject({
      events: true,
      live: true,
      idempotencyKey: true,
      retry: '/tasks/{id}/retry',
      input: '/tasks/{id}/input',
      history: '/tasks/{id}/history',
    });
  });

  it('a document without the steering and finding operations shows none of them (the console never invents them)', () => {
    const doc = today();
    for (const path of ['/tasks/{id}/retry', '/tasks/{id}/input', '/tasks/{id}/history']) delete doc.paths[path];
    doc.paths['/tasks/{id}'].delete.parameters = [];
    doc.paths['/tasks'].post.parameters = doc.paths['/tasks'].post.parameters.filter(
      (p: any) => p.name !== 'Cancel-After' && p.$ref !== '#/components/parameters/CancelAfter',
    );
    doc.paths['/tasks'].get.parameters = doc.paths['/tasks'].get.parameters.filter(
      (p: any) => !p.name || p.name === 'status' || p.name === 'limit' || p.name === 'cursor',
    );
    const caps = detectCapabilities(doc);
    expect(caps).toMatchObject({ retry: false, input: false, history: false, purge: false, deadline: false });
    expect(caps.listFilters).toMatchObject({ type: false, metadata: false, createdAfter: false, createdBefore: false });
  });

  it('a document with the steering and finding operations lights every one of them up', () => {
    const caps = detectCapabilities(withSteering());
    expect(caps).toMatchObject({
      retry: '/tasks/{id}/retry',
      input: '/tasks/{id}/input',
      history: '/tasks/{id}/history',
      purge: true,
      deadline: true,
      listFilters: { status: true, type: true, metadata: true, createdAfter: true, createdBefore: true },
    });
    // The submit form is generated from the submission schema: metadata appears with it.
    expect(caps.taskTypes[0]!.schema).toMatchObject({ properties: { metadata: { type: 'object' } } });
  });

  it('follows over the live channel only where the document has POST /watch-tokens (else the event stream and re-reads)', () => {
    const doc = today();
    expect(doc.paths['/watch-tokens'].post).toBeDefined();
    delete doc.paths['/watch-tokens'];
    expect(detectCapabilities(doc)).toMatchObject({ live: false, events: true });
    // A GET (or any other method) there is not the live channel.
    doc.paths['/watch-tokens'] = { get: { responses: {} } };
    expect(detectCapabilities(doc).live).toBe(false);
  });

  it('reads no capability from a document it cannot read', () => {
    for (const junk of [undefined, null, 'text', [], { paths: 'no' }]) {
      expect(detectCapabilities(junk)).toMatchObject({ taskTypes: [], statuses: [], events: false, live: false, retry: false, purge: false });
    }
  });

  it('resolves local references, stopping on cycles', () => {
    const doc = { components: { schemas: { A: { type: 'object', properties: { b: { $ref: '#/components/schemas/B' } } }, B: { type: 'integer' } } } };
    expect(resolveRefs({ $ref: '#/components/schemas/A', description: 'kept' }, doc)).toEqual({
      type: 'object',
      description: 'kept',
      properties: { b: { type: 'integer' } },
    });
    const cyclic = { components: { schemas: { P: { properties: { p: { $ref: '#/components/schemas/P' } } } } } };
    expect(() => resolveRefs({ $ref: '#/components/schemas/P' }, cyclic)).not.toThrow();
  });

  it('puts a task id into a path template, encoded', () => {
    expect(taskPath('/tasks/{id}/retry', 'a/b c')).toBe('tasks/a%2Fb%20c/retry');
    expect(taskPath('/tasks/{taskId}/history', 'x')).toBe('tasks/x/history');
  });
});
