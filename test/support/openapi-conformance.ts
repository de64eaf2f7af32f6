/**
 * Checks a response against the OpenAPI document: the status must be documented for the
 * operation, documented headers must match their schemas, and the body its media type's schema.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '#api/openapi';
import { DEMO_TASK_TYPES } from '../../lib/demo/task-types.ts';

type Json = Record<string, any>;

const document = openApiDocument(DEMO_TASK_TYPES) as Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
ajv.addSchema({ ...document, $id: 'openapi' });

const deref = (node: Json): Json => (node?.$ref ? deref(resolvePointer(node.$ref)) : node);
function resolvePointer(ref: string): Json {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: Json, part) => node[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
}

function schemaRef(pointer: string) {
  return ajv.getSchema(`openapi#${pointer}`);
}

function operationOf(method: string, path: string): { template: string; operation: Json } | undefined {
  const bare = path.replace(/^\/v1/, '').split('?')[0]!;
  for (const [template, item] of Object.entries(document.paths as Json)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(bare) && item[method.toLowerCase()]) return { template, operation: item[method.toLowerCase()] };
  }
  return undefined;
}

/** Problems with one response; an empty list means it conforms. */
export function violations(method: string, path: string, status: number, headers: Headers, body: string): string[] {
  const found = operationOf(method, path);
  // Gateway answers to routes that do not exist (404, 405) are problems; check that shape only.
  if (!found) return status >= 400 ? problemViolations(headers, body) : [`${method} ${path}: no such operation in the document`];
  const { template, operation } = found;
  const pointerBase = `/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${status}`;
  const response = operation.responses?.[String(status)];
  if (!response) return [`${method} ${template}: status ${status} is not documented`];
  const errors: string[] = [];
  for (const [name, header] of Object.entries((deref(response).headers ?? {}) as Json)) {
    const value = headers.get(name);
    const spec = deref(header as Json);
    if (value === null) {
      if (spec.required) errors.push(`${name} header missing`);
      continue;
    }
    const validate = ajv.compile(spec.schema ?? {});
    if (!validate(value)) errors.push(`${name} header ${JSON.stringify(value)}: ${ajv.errorsText(validate.errors)}`);
  }
  const content = deref(response).content as Json | undefined;
  if (!content) {
    if (body.length > 0) errors.push('body present where none is documented');
    return errors;
  }
  const mediaType = (headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (!content[mediaType]) return [...errors, `content type ${mediaType} not documented (${Object.keys(content).join(', ')})`];
  // A non-JSON body (the event stream) is checked for its media type only.
  if (!/[/+]json$/.test(mediaType)) return errors;
  const validate = schemaRef(`${pointerBase}/content/${mediaType.replace(/\//g, '~1')}/schema`) ?? ajv.compile(content[mediaType].schema ?? {});
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [...errors, 'body is not JSON'];
  }
  if (!validate(parsed)) errors.push(`body: ${ajv.errorsText(validate.errors)}`);
  return errors;
}

function problemViolations(headers: Headers, body: string): string[] {
  if (headers.get('content-type')?.split(';')[0] !== 'application/problem+json')
    return [`content type ${headers.get('content-type')} is not application/problem+json`];
  const validate = schemaRef('/components/schemas/Problem')!;
  try {
    return validate(JSON.parse(body)) ? [] : [`problem: ${ajv.errorsText(validate.errors)}`];
  } catch {
    return ['problem body is not JSON'];
  }
}
