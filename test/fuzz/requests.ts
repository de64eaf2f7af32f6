/**
 * fast-check generators of malformed (and now and then valid) HTTP requests for the front door.
 * A request is raw: the path as sent on the wire, headers as name/value pairs (duplicates
 * allowed), the body as bytes. `send` puts it on the wire with `node:http`, nothing normalized.
 * Request lines and headers stay within API Gateway's limits (about 10 KB; the local front's Node
 * server answers a bare 431 past 16 KB, which is not the API's answer).
 */
import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { MAX_BODY_BYTES } from '#domain/submission';

export interface FuzzRequest {
  /** What the generator meant to send, for the statistics. */
  kind: string;
  method: string;
  /** Path and query below the stage's host, as sent (`/v1/tasks/%00?limit=x`). */
  path: string;
  headers: Array<[string, string]>;
  body?: Buffer;
  /** The Idempotency-Key values sent, as sent. */
  idempotencyKeys: string[];
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'];
const ROUTE_PATHS = [
  '/tasks',
  '/tasks/{id}',
  '/tasks/{id}/result',
  '/tasks/{id}/history',
  '/tasks/{id}/retry',
  '/tasks/{id}/input',
  '/tasks/{id}/input/{capability}',
  '/openapi.json',
];
const TASK_TYPES = ['primes', 'sleep', 'fail', 'flaky', 'approval'];

// biome-ignore lint/suspicious/noControlCharactersInRegex: exactly the control bytes Node refuses in a header value (tab is allowed)
const REFUSED_IN_HEADER = /[\x00-\x08\x0a-\x1f\x7f]/g;

/** A header value of any Unicode, as its UTF-8 bytes (the wire carries bytes; Node takes latin1). */
const wireText = (s: string) => Buffer.from(s, 'utf8').toString('latin1').replace(REFUSED_IN_HEADER, '');

const unicode = fc.string({ unit: 'grapheme', maxLength: 40 });
const anyText = fc.oneof(fc.string({ maxLength: 40 }), unicode, fc.string({ unit: 'binary', maxLength: 40 }));

// --- ids and paths ----------------------------------------------------------------------------

const uuid = fc.uuid();
const taskIdLike = fc.oneof(
  uuid,
  uuid.map((u) => u.toUpperCase()),
  fc.constantFrom('..', '.', '%2e%2e', '..%2F..', '..%2F..%2Fopenapi.json', '%00', '%2F', '%252F', '%', '%zz', '%C0%AE%C0%AE', '%u002e'),
  fc.string({ unit: fc.constantFrom(...'abcdef0123456789-'), minLength: 1, maxLength: 80 }),
  fc.integer({ min: 256, max: 8_000 }).map((n) => 'a'.repeat(n)),
  unicode.filter((s) => s.length > 0).map(encodeURIComponent),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  // Raw printable ASCII, as a client may put it on the wire unescaped.
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 30 }),
);

const strangePath = fc.oneof(
  fc.constantFrom(
    '/',
    '/v1',
    '/v1/',
    '/v2/tasks',
    '/V1/tasks',
    '/v1//tasks',
    '/v1/tasks/',
    '/v1/tasks//result',
    '/v1/./tasks',
    '/v1/tasks/../openapi.json',
    '/v1/../v1/tasks',
    '/v1/%2e%2e/tasks',
    '/v1/tasks%2F',
    '/v1/openapi.json/x',
    '/v1/Tasks',
    '/v1/tasks/x/result/y',
    '/v1/tasks/x/RESULT',
    '/.well-known/x',
    '/v1/*',
    '/v1/%00',
  ),
  fc.webPath().map((p) => `/v1${p.startsWith('/') ? p : `/${p}`}`),
);

const routePath = fc
  .tuple(fc.constantFrom(...ROUTE_PATHS), taskIdLike, taskIdLike)
  .map(([p, id, capability]) => `/v1${p.replace('{id}', id).replace('{capability}', capability)}`);

// --- query strings --------------------------------------------------------------------------

const b64url = (v: string) => Buffer.from(v).toString('base64url');
const cursor = fc.oneof(
  anyText.map(encodeURIComponent),
  fc.base64String({ maxLength: 200 }).map(encodeURIComponent),
  fc.jsonValue().map((v) => b64url(JSON.stringify(v))),
  fc
    .record({
      v: fc.oneof(fc.constant(1), fc.jsonValue()),
      after: fc.oneof(uuid, anyText),
      status: fc.option(fc.constantFrom('pending', 'running', 'x')),
    })
    .map((c) => b64url(JSON.stringify(c))),
  fc.constant(''),
);
const limit = fc.oneof(
  fc.constantFrom('0', '-1', '1.5', '1e3', '101', '1000', '99999999999999999999', 'NaN', 'Infinity', '0x10', ' 5', '5 ', '+5', '', '١٠'),
  fc.integer().map(String),
  anyText.map(encodeURIComponent),
);
const status = fc.oneof(fc.constantFrom('PENDING', 'done', '', 'pending,running', 'succeeded ', 'cancel'), anyText.map(encodeURIComponent));

/** Names that are properties of every plain object: a map keyed by client input must not trip on them. */
const protoName = fc.constantFrom('constructor', 'valueOf', 'toString', '__proto__', 'hasOwnProperty', 'prototype');

const timestamp = fc.oneof(
  fc.constantFrom('2026-01-01T00:00:00Z', '2026-01-01', 'yesterday', '2026-13-01T00:00:00Z', '0', '-1', '9999-12-31T23:59:59.999999999Z', ''),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  anyText,
);
const metadataFilter = fc
  .tuple(fc.oneof(fc.constantFrom('team', 'a.b', 'x'.repeat(65), 'bad key', '', '__proto__'), anyText), anyText)
  .map(([k, v]) => `metadata.${encodeURIComponent(k)}=${encodeURIComponent(v)}`);

const query = fc
  .record(
    {
      limit,
      cursor,
      status,
      type: fc.oneof(fc.constantFrom(...TASK_TYPES), anyText).map(encodeURIComponent),
      createdAfter: timestamp.map(encodeURIComponent),
      createdBefore: timestamp.map(encodeURIComponent),
      metadata: fc.array(metadataFilter, { maxLength: 20 }).map((m) => m.join('&')),
      extra: fc.tuple(fc.oneof(anyText, protoName), anyText).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
      repeated: fc.constantFrom('limit=1&limit=2', 'status=pending&status=failed', 'cursor=a&cursor=b'),
    },
    { requiredKeys: [] },
  )
  .map((q) =>
    Object.entries(q)
      .map(([k, v]) => (k === 'extra' || k === 'repeated' || k === 'metadata' ? v : `${k}=${v}`))
      .join('&'),
  );

// --- bodies ---------------------------------------------------------------------------------

const deepJson = fc
  .tuple(fc.integer({ min: 100, max: 10_000 }), fc.boolean())
  .map(([depth, array]) => (array ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

const wrongTypeSubmission = fc
  .record(
    {
      type: fc.oneof(fc.constantFrom(...TASK_TYPES), anyText, fc.jsonValue()),
      input: fc.oneof(
        fc.jsonValue(),
        // Never {"seconds":1}: other test files submit that with the same key (see the row check).
        fc.record(
          {
            seconds: fc.oneof(
              fc.jsonValue(),
              fc.integer({ min: -5, max: 5 }).filter((n) => n !== 1),
              fc.double(),
            ),
          },
          { requiredKeys: [] },
        ),
        fc.record({ upTo: fc.oneof(fc.jsonValue(), fc.integer({ min: -10, max: 20_000_000 })) }, { requiredKeys: [] }),
        fc.record({ message: fc.oneof(fc.jsonValue(), anyText, fc.constant('x'.repeat(1001))) }, { requiredKeys: [] }),
      ),
      callbackUrl: fc.oneof(fc.webUrl(), anyText, fc.constantFrom('http://127.0.0.1/', 'file:///etc/passwd', 'javascript:alert(1)')),
      callbackEvents: fc.oneof(
        fc.jsonValue(),
        fc.array(fc.oneof(fc.constantFrom('started', 'progress', 'input_required', 'completed', 'finished', ''), anyText), { maxLength: 6 }),
      ),
      metadata: fc.oneof(
        fc.jsonValue(),
        fc.dictionary(
          fc.oneof(fc.constantFrom('team', '', 'bad key', 'x'.repeat(65), '__proto__', 'constructor'), anyText),
          fc.oneof(anyText, fc.jsonValue()),
          {
            maxKeys: 20,
          },
        ),
      ),
      extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

/** Valid submissions that cost the local stack next to nothing (fail fast or finish at once). */
const validSubmission = fc
  .oneof(
    fc.record({ type: fc.constant('fail'), input: fc.record({ message: fc.string({ minLength: 1, maxLength: 50 }) }) }),
    fc.record({ type: fc.constant('sleep'), input: fc.record({ seconds: fc.constant(0) }) }),
    fc.record({ type: fc.constant('primes'), input: fc.record({ upTo: fc.integer({ min: 2, max: 100 }) }) }),
  )
  .map((o) => JSON.stringify(o));

const hugeBody = fc.oneof(
  // Around the submission limit (256 KiB), valid JSON either side of it.
  fc.integer({ min: -64, max: 64 }).map((d) => `{"type":"fail","input":{"message":"${'x'.repeat(MAX_BODY_BYTES - 40 + d)}"}}`),
  fc.integer({ min: 1_000, max: 40_000 }).map((n) => JSON.stringify({ type: 'sleep', input: { seconds: Array.from({ length: n }, (_, i) => i) } })),
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => JSON.stringify({ type: 'x'.repeat(n), input: {} })),
);

const body = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)) },
  { weight: 3, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))) },
  { weight: 4, arbitrary: wrongTypeSubmission.map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: deepJson.map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: hugeBody.map((s) => Buffer.from(s)) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('', ' ', 'null', '[]', '"x"', '{', '{"type":', '\uFEFF{}', '{"type":"fail","input":{"message":"x"}} trailing')
      .map((s) => Buffer.from(s)),
  },
  { weight: 1, arbitrary: unicode.map((s) => Buffer.from(s, 'utf16le')) },
);

// --- headers --------------------------------------------------------------------------------

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/problem+json',
    'application/vnd.api+json',
    'APPLICATION/JSON',
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
    'application/jsonx',
    'application/json;;;',
    '*/*',
    '',
    'application/',
    'json',
    'application/json\t',
    'application/xml',
    'application/octet-stream',
  ),
  anyText,
);

const cancelAfter = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '0',
    '1',
    '15',
    '20',
    '21',
    '1.5',
    '-1',
    '2s',
    '1m',
    '1h30m',
    '1h 30m',
    '5M',
    'PT5M',
    'soon',
    '9'.repeat(30),
    '0x10',
    '1e3',
    '١٠',
  ),
  anyText,
);
const prefer = fc.oneof(
  fc.constantFrom(
    'wait=0',
    'wait=1',
    'wait=25',
    'wait=26',
    'wait=99999999999',
    'wait=-1',
    'wait=x',
    'wait',
    'respond-async',
    'respond-async, wait=1',
    'wait="2"',
    '',
  ),
  anyText,
);

const idempotencyKey = fc.oneof(
  fc.constantFrom('', ' ', '""', '"', 'a b', 'x'.repeat(256), 'x'.repeat(4_000), '\t', 'ключ', '🔑', '"quoted key"'),
  anyText,
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 255 }),
);

const headerName = fc.constantFrom(
  'constructor',
  '__proto__',
  'valueOf',
  'X-Custom',
  'Accept',
  'If-None-Match',
  'Prefer',
  'Origin',
  'Authorization',
  'X-Forwarded-For',
  'X-Amzn-Trace-Id',
  'X-Api-Key-Id',
  'X-Owner',
  'Cookie',
  'Range',
  'Accept-Encoding',
  'Expect-Nothing',
);

export interface GeneratorContext {
  /** The fuzzer's API key (the only one it uses). */
  key: string;
}

export function fuzzRequest({ key }: GeneratorContext): fc.Arbitrary<FuzzRequest> {
  const apiKeyHeaders = fc.oneof(
    { weight: 12, arbitrary: fc.constant<Array<[string, string]>>([['x-api-key', key]]) },
    { weight: 1, arbitrary: fc.constant<Array<[string, string]>>([]) },
    {
      weight: 1,
      arbitrary: fc.constant<Array<[string, string]>>([
        ['x-api-key', key],
        ['x-api-key', key],
      ]),
    },
    {
      weight: 1,
      arbitrary: anyText.map(
        (k): Array<[string, string]> => [
          ['x-api-key', key],
          ['X-API-KEY', wireText(k)],
        ],
      ),
    },
    { weight: 1, arbitrary: anyText.map((k): Array<[string, string]> => [['x-api-key', wireText(k)]]) },
    { weight: 1, arbitrary: fc.constant<Array<[string, string]>>([['x-api-key', ` ${key} `]]) },
  );
  const contentTypes = fc.oneof(
    { weight: 6, arbitrary: fc.constant<Array<[string, string]>>([['content-type', 'application/json']]) },
    { weight: 3, arbitrary: contentType.map((c): Array<[string, string]> => [['content-type', wireText(c)]]) },
    { weight: 1, arbitrary: fc.constant<Array<[string, string]>>([]) },
    {
      weight: 1,
      arbitrary: fc.tuple(contentType, contentType).map(
        ([a, b]): Array<[string, string]> => [
          ['content-type', wireText(a)],
          ['Content-Type', wireText(b)],
        ],
      ),
    },
  );
  const extraHeaders = fc.array(fc.tuple(headerName, anyText.map(wireText)), { maxLength: 3 });
  const idemKeys = fc.oneof(
    { weight: 3, arbitrary: fc.constant<string[]>([]) },
    { weight: 2, arbitrary: idempotencyKey.map((k) => [wireText(k)]) },
    { weight: 1, arbitrary: fc.tuple(idempotencyKey, idempotencyKey).map(([a, b]) => [wireText(a), wireText(b)]) },
  );

  // Cancel-After and Prefer (wait=N on submit), now and then, at most a second of waiting.
  const steerHeaders = fc.record(
    { cancel: cancelAfter.map(wireText), prefer: prefer.map(wireText).map((p) => p.replace(/wait=\d{2,}/g, 'wait=1')) },
    { requiredKeys: [] },
  );
  const submit = fc
    .record({
      body: fc.oneof({ weight: 8, arbitrary: body }, { weight: 1, arbitrary: validSubmission.map((s) => Buffer.from(s)) }),
      keys: apiKeyHeaders,
      types: contentTypes,
      extra: extraHeaders,
      idem: idemKeys,
      steer: steerHeaders,
    })
    .map(
      ({ body, keys, types, extra, idem, steer }): FuzzRequest => ({
        kind: 'submit',
        method: 'POST',
        path: '/v1/tasks',
        headers: [
          ...keys,
          ...types,
          ...extra,
          ...idem.map((k): [string, string] => ['Idempotency-Key', k]),
          ...(steer.cancel !== undefined ? [['Cancel-After', steer.cancel] as [string, string]] : []),
          ...(steer.prefer !== undefined ? [['Prefer', steer.prefer] as [string, string]] : []),
        ],
        body,
        idempotencyKeys: idem,
      }),
    );

  /** Retry, input (by key or capability) and purge of any id, with any body. */
  const steer = fc
    .record({
      route: fc.constantFrom('retry', 'input', 'capability', 'purge'),
      id: taskIdLike,
      capability: taskIdLike,
      purge: fc.oneof(fc.constantFrom('true', 'false', 'TRUE', '1', '', 'yes'), anyText.map(encodeURIComponent)),
      body: fc.option(body),
      keys: apiKeyHeaders,
      types: contentTypes,
    })
    .map(({ route, id, capability, purge, body, keys, types }): FuzzRequest => {
      const base = `/v1/tasks/${id}`;
      if (route === 'purge') return { kind: 'purge', method: 'DELETE', path: `${base}?purge=${purge}`, headers: keys, idempotencyKeys: [] };
      const path = route === 'retry' ? `${base}/retry` : route === 'input' ? `${base}/input` : `${base}/input/${capability}`;
      return { kind: route, method: 'POST', path, headers: [...keys, ...(body ? types : [])], ...(body && { body }), idempotencyKeys: [] };
    });

  /** A valid submission spoiled by one bad Idempotency-Key (or two of them). */
  const badIdempotency = fc
    .record({
      body: validSubmission,
      idem: fc.oneof(
        idempotencyKey.map((k) => [wireText(k)]),
        fc.tuple(idempotencyKey, idempotencyKey).map(([a, b]) => [wireText(a), wireText(b)]),
      ),
    })
    .map(
      ({ body, idem }): FuzzRequest => ({
        kind: 'idempotency-key',
        method: 'POST',
        path: '/v1/tasks',
        headers: [['x-api-key', key], ['content-type', 'application/json'], ...idem.map((k): [string, string] => ['Idempotency-Key', k])],
        body: Buffer.from(body),
        idempotencyKeys: idem,
      }),
    );

  const read = fc
    .record({ method: fc.constantFrom('GET', 'DELETE'), path: routePath, keys: apiKeyHeaders, extra: extraHeaders })
    .map(({ method, path, keys, extra }): FuzzRequest => ({ kind: 'read', method, path, headers: [...keys, ...extra], idempotencyKeys: [] }));

  const list = fc.record({ q: query, keys: apiKeyHeaders, extra: extraHeaders }).map(
    ({ q, keys, extra }): FuzzRequest => ({
      kind: 'list',
      method: 'GET',
      path: `/v1/tasks?${q}`,
      headers: [...keys, ...extra],
      idempotencyKeys: [],
    }),
  );

  const wrongMethod = fc
    .record({
      method: fc.constantFrom(...METHODS),
      path: fc.oneof(routePath, fc.constantFrom(...ROUTE_PATHS.map((p) => `/v1${p.replace('{id}', crypto.randomUUID())}`))),
      body: fc.option(body),
      keys: apiKeyHeaders,
      types: contentTypes,
    })
    .map(
      ({ method, path, body, keys, types }): FuzzRequest => ({
        kind: 'method',
        method,
        path,
        headers: [...keys, ...(body ? types : [])],
        ...(body && method !== 'GET' && method !== 'HEAD' && method !== 'TRACE' && { body }),
        idempotencyKeys: [],
      }),
    );

  const anywhere = fc
    .record({ method: fc.constantFrom(...METHODS), path: strangePath, keys: apiKeyHeaders, extra: extraHeaders })
    .map(({ method, path, keys, extra }): FuzzRequest => ({ kind: 'path', method, path, headers: [...keys, ...extra], idempotencyKeys: [] }));

  return fc.oneof(
    { weight: 6, arbitrary: submit },
    { weight: 1, arbitrary: badIdempotency },
    { weight: 2, arbitrary: read },
    { weight: 2, arbitrary: steer },
    { weight: 2, arbitrary: list },
    { weight: 2, arbitrary: wrongMethod },
    { weight: 1, arbitrary: anywhere },
  );
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** Sends a request exactly as generated and reads the whole answer. */
export function send(baseOrigin: string, r: FuzzRequest, timeoutMs = 30_000): Promise<FuzzResponse> {
  const { hostname, port } = new URL(baseOrigin);
  // With raw (array) headers Node adds no Host header, and HTTP/1.1 requires one.
  const flat: string[] = ['Host', `${hostname}:${port}`];
  for (const [name, value] of r.headers) flat.push(name, value);
  if (r.body) flat.push('Content-Length', String(r.body.length));
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method: r.method, path: wirePath(r.path), headers: flat, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Node refuses to send a path with spaces, controls or non-ASCII: those go percent-encoded (UTF-8). */
function wirePath(path: string): string {
  return path.replace(/[^\x21-\x7e]/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

export function closeAgent(): void {
  agent.destroy();
}
