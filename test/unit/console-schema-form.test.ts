/** Forms generated from JSON Schemas: the fields a schema describes, and the value the filled-in fields make. */
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#api/openapi';
import { detectCapabilities } from '../../lambdas/console/capabilities.ts';
import { allFields, buildValue, defaults, errorsOnFields, formOf, humanize } from '../../lambdas/console/schema-form.ts';
import { DEMO_TASK_TYPES } from '../../lib/demo/task-types.ts';

const submission = (type: string) => detectCapabilities(openApiDocument(DEMO_TASK_TYPES)).taskTypes.find((t) => t.name === type)!.schema;

describe('schema forms', () => {
  it("a task type's submission: the type fixed, its input's fields, the callback URL, tags and webhook events", () => {
    const form = formOf(submission('report'));
    expect(allFields(form).map((f) => [f.pointer, f.kind, f.required])).toEqual([
      ['', 'object', true],
      ['/type', 'const', true],
      ['/input', 'object', true],
      ['/input/sizeKb', 'integer', true],
      ['/input/inline', 'boolean', false],
      ['/input/label', 'text', false],
      ['/callbackUrl', 'text', false],
      ['/metadata', 'json', false],
      ['/callbackEvents', 'multi', false],
    ]);
    expect(allFields(form).find((f) => f.pointer === '/input/sizeKb')!.label).toBe('Size kb');
    expect(buildValue(form, { '/input/sizeKb': ' 100 ', '/input/inline': true })).toEqual({
      value: { type: 'report', input: { sizeKb: 100, inline: true } },
      errors: [],
    });
  });

  it('leaves empty optional fields out and names missing or malformed required ones', () => {
    const form = formOf(submission('primes'));
    expect(buildValue(form, { '/input/upTo': '', '/callbackUrl': '' })).toEqual({
      value: { type: 'primes', input: {} },
      errors: [{ pointer: '/input/upTo', detail: 'is required' }],
    });
    expect(buildValue(form, { '/input/upTo': '2.5' }).errors).toEqual([{ pointer: '/input/upTo', detail: 'must be a whole number' }]);
    expect(buildValue(form, { '/input/upTo': 'x' }).errors).toEqual([{ pointer: '/input/upTo', detail: 'must be a whole number' }]);
  });

  it('enums keep their values, arrays of enums become choices, anything else is JSON', () => {
    const form = formOf({
      type: 'object',
      required: ['approved', 'level'],
      properties: {
        approved: { type: 'boolean' },
        level: { enum: [1, 2, 3] },
        events: { type: 'array', items: { enum: ['started', 'progress', 'completed'] } },
        extra: { type: 'object', additionalProperties: { type: 'string' } },
        note: { type: ['string', 'null'], default: 'ok' },
      },
    });
    expect(allFields(form).map((f) => f.kind)).toEqual(['object', 'boolean', 'enum', 'multi', 'json', 'text']);
    expect(defaults(form)).toEqual({ '/note': 'ok' });
    expect(buildValue(form, { '/level': '2', '/events': ['completed', 'started'], '/extra': '{"a":"b"}', '/note': 'ok' })).toEqual({
      value: { approved: false, level: 2, events: ['started', 'completed'], extra: { a: 'b' }, note: 'ok' },
      errors: [],
    });
    expect(buildValue(form, { '/level': '1', '/extra': '{' }).errors).toEqual([{ pointer: '/extra', detail: 'is not valid JSON' }]);
  });

  it('a schema that is not an object with properties is one JSON field', () => {
    const form = formOf({});
    expect(form.kind).toBe('json');
    expect(buildValue(form, { '': '{"approved": true}' }).value).toEqual({ approved: true });
  });

  it("puts a 400's field errors on the fields they point at, and leaves out the rest", () => {
    const form = formOf(submission('primes'));
    const errors = [
      { pointer: '/input/upTo', detail: 'must be <= 10000000' },
      { pointer: '/input/notAField', detail: 'must NOT have additional properties' },
    ];
    expect(errorsOnFields(form, errors)).toEqual({ '/input/upTo': 'must be <= 10000000' });
    expect(errorsOnFields(form, [])).toEqual({});
  });

  it.each([
    ['upTo', 'Up to'],
    ['callbackUrl', 'Callback URL'],
    ['sizeKb', 'Size kb'],
    ['task_id', 'Task ID'],
  ])('labels %s as %s', (name, label) => {
    expect(humanize(name)).toBe(label);
  });
});
