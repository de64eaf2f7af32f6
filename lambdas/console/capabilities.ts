/**
 * What this deployment offers, read from its OpenAPI document (`GET /openapi.json`): the task types and the
 * schema of each one's submission, the list's filters, and the steering and finding operations. The console
 * shows a control only when the document describes the operation behind it; it never guesses. Pure.
 */
import type { JsonSchema } from './schema-form.ts';

type Json = { [key: string]: unknown };

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A task type and the schema of its submission (`{ type, input, … }`, references resolved). */
interface TaskTypeForm {
  name: string;
  description?: string;
  schema: JsonSchema;
}

export interface Capabilities {
  taskTypes: TaskTypeForm[];
  /** The task statuses (the `TaskStatus` enum). */
  statuses: string[];
  /** Which query parameters `GET /tasks` takes. */
  listFilters: { status: boolean; type: boolean; metadata: boolean; createdAfter: boolean; createdBefore: boolean };
  /** `GET /tasks?limit=` at most. */
  listMaxLimit: number;
  /** `GET /tasks/{id}/events`: the server-sent event stream. */
  events: boolean;
  /** `POST /watch-tokens`: the live channel (a WebSocket URL with a watch token), preferred to the event stream and to re-reads. */
  live: boolean;
  /** `Idempotency-Key` on submit. */
  idempotencyKey: boolean;
  // Steering and finding: each is the path template of the operation, or false, and lights
  // up the control that uses it as soon as the document describes it.
  /** `POST /tasks/{id}/retry`. */
  retry: string | false;
  /** `POST /tasks/{id}/input`: answers a task's `awaitingInput`. */
  input: string | false;
  /** `GET /tasks/{id}/history` (a task may also carry `history` itself). */
  history: string | false;
  /** `DELETE /tasks/{id}?purge=true`. */
  purge: boolean;
  /** `Cancel-After` on submit: a deadline. */
  deadline: boolean;
}

interface Operation {
  template: string;
  operation: Json;
  parameters: Json[];
}

/** Resolves local `$ref`s (`#/…`) of a schema; cycles stop at a depth (the console renders a JSON field there). */
export function resolveRefs(node: unknown, document: unknown, depth = 0): unknown {
  if (depth > 24) return {};
  if (Array.isArray(node)) return node.map((item) => resolveRefs(item, document, depth + 1));
  if (!isObject(node)) return node;
  if (typeof node.$ref === 'string' && node.$ref.startsWith('#/')) {
    const target = node.$ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((at, part) => (isObject(at) ? at[part] : undefined), document);
    const { $ref: _ref, ...siblings } = node;
    return resolveRefs({ ...(isObject(target) ? target : {}), ...siblings }, document, depth + 1);
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolveRefs(value, document, depth + 1)]));
}

function operations(document: Json, method: string, path: RegExp): Operation | undefined {
  const paths = isObject(document.paths) ? document.paths : {};
  for (const [template, item] of Object.entries(paths)) {
    if (!path.test(template) || !isObject(item) || !isObject(item[method])) continue;
    const operation = item[method] as Json;
    const parameters = [
      ...(Array.isArray(item.parameters) ? item.parameters : []),
      ...(Array.isArray(operation.parameters) ? operation.parameters : []),
    ].map((p) => resolveRefs(p, document));
    return { template, operation, parameters: parameters.filter(isObject) };
  }
  return undefined;
}

const TASK = '\\/tasks\\/\\{[^}/]+\\}';
const named = (found: Operation | undefined, name: string, where = 'query') =>
  !!found?.parameters.some((p) => typeof p.name === 'string' && p.name.toLowerCase() === name.toLowerCase() && p.in === where);

function taskTypes(document: Json): TaskTypeForm[] {
  const schemas = isObject(document.components) && isObject(document.components.schemas) ? document.components.schemas : {};
  const submission = resolveRefs(schemas.Submission, document);
  const variants = isObject(submission) && Array.isArray(submission.oneOf) ? submission.oneOf : [];
  const forms: TaskTypeForm[] = [];
  for (const variant of variants) {
    if (!isObject(variant) || !isObject(variant.properties)) continue;
    const type = variant.properties.type;
    const name = isObject(type) && typeof type.const === 'string' ? type.const : undefined;
    if (!name) continue;
    const input = variant.properties.input;
    const description = isObject(input) && typeof input.description === 'string' ? input.description : undefined;
    forms.push({ name, ...(description && { description }), schema: variant as JsonSchema });
  }
  return forms;
}

/** The capabilities an OpenAPI document describes (an unreadable document describes none). */
export function detectCapabilities(raw: unknown): Capabilities {
  const document: Json = isObject(raw) ? raw : {};
  const list = operations(document, 'get', /^\/tasks$/);
  const submit = operations(document, 'post', /^\/tasks$/);
  const remove = operations(document, 'delete', new RegExp(`^${TASK}$`));
  const limit = list?.parameters.find((p) => p.name === 'limit');
  const maxLimit = isObject(limit) && isObject(limit.schema) && typeof limit.schema.maximum === 'number' ? limit.schema.maximum : 20;
  const statusSchema = resolveRefs(
    isObject(document.components) && isObject(document.components.schemas) ? document.components.schemas.TaskStatus : undefined,
    document,
  );
  const statuses =
    isObject(statusSchema) && Array.isArray(statusSchema.enum) ? statusSchema.enum.filter((s): s is string => typeof s === 'string') : [];
  const template = (method: string, suffix: string) => operations(document, method, new RegExp(`^${TASK}\\/${suffix}$`))?.template ?? false;
  return {
    taskTypes: taskTypes(document),
    statuses,
    listFilters: {
      status: named(list, 'status'),
      type: named(list, 'type'),
      metadata: !!list?.parameters.some((p) => typeof p.name === 'string' && /^metadata($|[.[])/.test(p.name)),
      createdAfter: named(list, 'createdAfter'),
      createdBefore: named(list, 'createdBefore'),
    },
    listMaxLimit: maxLimit,
    events: !!operations(document, 'get', new RegExp(`^${TASK}\\/events$`)),
    live: !!operations(document, 'post', /^\/watch-tokens$/),
    idempotencyKey: named(submit, 'Idempotency-Key', 'header'),
    retry: template('post', 'retry'),
    input: template('post', 'input'),
    history: template('get', 'history'),
    purge: named(remove, 'purge'),
    deadline: named(submit, 'Cancel-After', 'header'),
  };
}

/** A path template of the document with a task's id in it, relative to the API's base: `/tasks/{id}/retry` -> `tasks/<id>/retry`. */
export function taskPath(template: string, id: string): string {
  return template.replace(/^\//, '').replace(/\{[^}/]+\}/, encodeURIComponent(id));
}
