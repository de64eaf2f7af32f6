/**
 * The OpenAPI document shows real payloads: every operation has an example for its request (body,
 * or each parameter) and for its main answers, every webhook one for its body, and each example is
 * valid against its own schema; examples of any deployment's task types are made from their schemas.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#api/openapi';
import { exampleOf } from '#api/openapi-examples';
import { submissionSchema } from '#domain/submission';
import { DEMO_TASK_TYPES } from '../../lib/demo/task-types.ts';

type Json = Record<string, any>;
const document = openApiDocument(DEMO_TASK_TYPES) as Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
ajv.addSchema({ ...document, $id: 'openapi' });

const deref = (node: Json): Json =>
  node?.$ref
    ? deref(
        node.$ref
          .replace(/^#\//, '')
          .split('/')
          .reduce((n: Json, part: string) => n[part], document),
      )
    : node;

const operations = Object.entries(document.paths as Json).flatMap(([path, item]) =>
  Object.entries(item as Json)
    .filter(([method]) => ['get', 'post', 'delete', 'put', 'patch'].includes(method))
    .map(([method, operation]) => ({ path, method, operation: operation as Json, shared: ((item as Json).parameters ?? []) as Json[] })),
);

function checkExample(pointer: string, example: unknown): string[] {
  const validate = ajv.getSchema(`openapi#${pointer}`);
  if (!validate) return [`${pointer}: no schema`];
  return validate(example) ? [] : [`${pointer}: ${ajv.errorsText(validate.errors)}`];
}
const escapePointer = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');

describe('OpenAPI examples', () => {
  it.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o]))(
    '%s: its request and its 2xx answers have examples, each valid',
    (_, o) => {
      const { path, method, operation, shared } = o as (typeof operations)[number];
      const base = `/paths/${escapePointer(path)}/${method}`;
      const problems: string[] = [];
      const body = operation.requestBody?.content?.['application/json'];
      if (operation.requestBody) {
        if (body?.example === undefined) problems.push('request body has no example');
        else problems.push(...checkExample(`${base}/requestBody/content/application~1json/schema`, body.example));
      }
      for (const parameter of [...shared, ...(operation.parameters ?? [])].map(deref)) {
        if (parameter.example === undefined) problems.push(`parameter ${parameter.name} has no example`);
      }
      for (const [status, response] of Object.entries(operation.responses as Json)) {
        if (!status.startsWith('2')) continue;
        for (const [media, content] of Object.entries((deref(response as Json).content ?? {}) as Json)) {
          if ((content as Json).example === undefined) problems.push(`${status} ${media} has no example`);
          else if (media.endsWith('json')) {
            problems.push(...checkExample(`${base}/responses/${status}/content/${escapePointer(media)}/schema`, (content as Json).example));
          }
        }
      }
      expect(problems).toEqual([]);
    },
  );

  it.each(Object.keys(document.webhooks))('webhook %s: its body has a valid example and the Standard Webhooks headers', (type) => {
    const post = document.webhooks[type].post as Json;
    const content = post.requestBody.content['application/json'];
    expect(checkExample(`/webhooks/${escapePointer(type)}/post/requestBody/content/application~1json/schema`, content.example)).toEqual([]);
    expect(content.example.type).toBe(type);
    expect(post.parameters.map((p: Json) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  });

  it('describes every event type a webhook carries', () => {
    expect(Object.keys(document.webhooks).sort()).toEqual(
      ['task.running', 'task.progress', 'task.input_required', 'task.succeeded', 'task.failed', 'task.cancelled'].sort(),
    );
  });

  it.each(Object.entries(DEMO_TASK_TYPES))('the example input of %s is valid for it, and so is one for an arbitrary schema', (type, schema) => {
    const validate = new Ajv2020({ strict: false }).compile(submissionSchema(schema, type));
    expect(validate({ type, input: exampleOf(schema) })).toBe(true);
  });

  it('exampleOf: the schema own example first, else the smallest instance its keywords allow', () => {
    expect(exampleOf({ type: 'object', examples: [{ a: 1 }] })).toEqual({ a: 1 });
    const schema = {
      type: 'object',
      required: ['n', 's', 'b', 'e', 'list', 'nested'],
      properties: {
        n: { type: 'integer', minimum: 3 },
        s: { type: 'string', minLength: 10 },
        b: { type: 'boolean' },
        e: { enum: ['x', 'y'] },
        list: { type: 'array', minItems: 1, items: { type: 'number' } },
        nested: { type: 'object', required: ['k'], properties: { k: { type: 'string' } } },
        optional: { type: 'string' },
      },
    };
    const example = exampleOf(schema);
    expect(new Ajv2020({ strict: false }).validate(schema, example)).toBe(true);
    expect(example).not.toHaveProperty('optional');
  });
});
