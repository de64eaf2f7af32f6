/**
 * The local API Gateway: a `node:http` server that serves the template's REST API under
 * `/<stage>`, turning each request into the REST (v1 payload) proxy event API Gateway sends and
 * calling the route's function. Routes, API-key requirements, the 405 MOCK answers and the
 * gateway-response bodies all come from the synthesized template; nothing is written twice here.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalLambda } from './functions/local-lambda.ts';
import { isThrottle } from './functions/reserved-concurrency.ts';
import { streamToResponse } from './streaming.ts';
import type { ApiDefinition, ApiMethod, ApiResource, GatewayResponseDefinition } from './template-resources.ts';

/** API Gateway's payload limit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpFrontOptions {
  api: ApiDefinition;
  /** Accepted `x-api-key` values (like keys in a usage plan). */
  apiKeys: string[];
  /** The function behind an AWS_PROXY method, by logical id. */
  resolveFunction: (functionLogicalId: string) => LocalLambda | undefined;
  port?: number;
  host?: string;
  accountId?: string;
  log?: (line: string) => void;
  /** Local-only static pages by request path (the browser example), answered to GET before any route. */
  pages?: Record<string, { contentType: string; body: Buffer }>;
}

/** A stable opaque id for an API key, standing in for the API Gateway key id. */
export function apiKeyId(key: string): string {
  return `key-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

const DEFAULT_STATUS: Record<string, number> = {
  INVALID_API_KEY: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  REQUEST_TOO_LARGE: 413,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  DEFAULT_4XX: 400,
  DEFAULT_5XX: 500,
};

const ERROR_TYPE_HEADER: Record<string, string> = {
  INVALID_API_KEY: 'ForbiddenException',
  MISSING_AUTHENTICATION_TOKEN: 'MissingAuthenticationTokenException',
  REQUEST_TOO_LARGE: 'RequestTooLargeException',
};

interface RouteMatch {
  resource: ApiResource;
  pathParameters: Record<string, string> | null;
}

function specificity(path: string): number[] {
  // literal segments beat {param}, which beat {proxy+}
  return path
    .split('/')
    .filter(Boolean)
    .map((s) => (s.endsWith('+}') ? 0 : s.startsWith('{') ? 1 : 2));
}

function compareSpecificity(a: string, b: string): number {
  const sa = specificity(a);
  const sb = specificity(b);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const d = (sb[i] ?? -1) - (sa[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function matchResource(resources: ApiResource[], path: string): RouteMatch | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const resource of resources) {
    const parts = resource.path.split('/').filter(Boolean);
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const greedy = /^\{(.+)\+\}$/.exec(part);
      if (greedy) {
        if (i >= segments.length) ok = false;
        else params[greedy[1]!] = segments.slice(i).map(safeDecode).join('/');
        if (ok && i === parts.length - 1) return { resource, pathParameters: params };
        ok = false;
        break;
      }
      const seg = segments[i];
      if (seg === undefined) {
        ok = false;
        break;
      }
      const param = /^\{(.+)\}$/.exec(part);
      if (param) params[param[1]!] = safeDecode(seg);
      else if (part !== safeDecode(seg)) {
        ok = false;
        break;
      }
    }
    if (ok && parts.length === segments.length) {
      return { resource, pathParameters: Object.keys(params).length ? params : null };
    }
  }
  return undefined;
}

/** `'literal'` → literal (static header mappings); anything else is not supported locally. */
function literal(value: string): string | undefined {
  const m = /^'(.*)'$/s.exec(value);
  return m ? m[1] : undefined;
}

export interface TemplateContext {
  path: string;
  resourcePath: string;
  httpMethod: string;
  requestId: string;
  stage: string;
  sourceIp: string;
  errorMessage: string;
  responseType?: string;
}

/** Renders the `$context.*` variables API Gateway substitutes in mapping/gateway templates. */
function renderTemplate(template: string, ctx: TemplateContext): string {
  const jsonEscape = (s: string): string => JSON.stringify(s).slice(1, -1);
  const values: Record<string, string> = {
    'error.messageString': JSON.stringify(ctx.errorMessage),
    'error.message': jsonEscape(ctx.errorMessage),
    'error.responseType': ctx.responseType ?? '',
    path: jsonEscape(ctx.path),
    resourcePath: jsonEscape(ctx.resourcePath),
    httpMethod: ctx.httpMethod,
    requestId: ctx.requestId,
    extendedRequestId: ctx.requestId,
    stage: ctx.stage,
    'identity.sourceIp': ctx.sourceIp,
  };
  return template.replace(/\$(\{)?context\.([A-Za-z]+(?:\.[A-Za-z]+)*)(\})?/g, (match, open, name: string, close) => {
    const v = values[name];
    if (v === undefined || Boolean(open) !== Boolean(close)) return match;
    return v;
  });
}

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: Buffer;
}

export class HttpFront {
  private server?: Server;
  private readonly resources: ApiResource[];
  private readonly keys: Set<string>;
  port = 0;
  baseUrl = '';

  constructor(private readonly options: HttpFrontOptions) {
    this.resources = [...options.api.resources].sort((a, b) => compareSpecificity(a.path, b.path));
    this.keys = new Set(options.apiKeys);
    for (const r of this.resources) {
      for (const m of r.methods) {
        if (m.integrationType === 'AWS_PROXY' && (!m.functionLogicalId || !options.resolveFunction(m.functionLogicalId))) {
          throw new Error(`${m.httpMethod} ${r.path}: no local function for its integration`);
        }
      }
    }
  }

  private log(line: string): void {
    (this.options.log ?? ((l) => console.error(l)))(line);
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => res());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.baseUrl = `http://${this.options.host ?? '127.0.0.1'}:${this.port}/${this.options.api.stageName}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeIdleConnections();
    const closed = new Promise<void>((res) => server.close(() => res()));
    const timer = setTimeout(() => server.closeAllConnections(), 2_000);
    await closed;
    clearTimeout(timer);
  }

  /**
   * A Lambda integration that failed. As the Lambda developer guide says ("Handling Lambda errors
   * with an API Gateway API"), API Gateway answers 500 when Lambda refuses the invocation (throttled
   * past the function's reserved concurrency) and 502 when the function fails or answers in the wrong
   * shape, both through the INTEGRATION_FAILURE gateway response: the API's own, when it defines one.
   * `error` undefined: a malformed answer (already logged).
   */
  private integrationFailure(fn: LocalLambda, ctx: TemplateContext, error: unknown): Answer {
    const throttled = isThrottle(error);
    if (throttled) this.log(`[http] ${fn.functionName} throttled (${ctx.requestId}): at its reserved concurrency`);
    else if (error !== undefined) this.log(`[http] ${fn.functionName} failed (${ctx.requestId}): ${(error as Error)?.stack ?? error}`);
    const own = this.options.api.gatewayResponses.find((g) => g.responseType === 'INTEGRATION_FAILURE');
    const status = own?.statusCode ? undefined : throttled ? 500 : 502;
    return this.gatewayResponse('INTEGRATION_FAILURE', { ...ctx, errorMessage: 'Internal server error' }, status);
  }

  private gatewayResponse(type: string, ctx: TemplateContext, statusOverride?: number): Answer {
    const all = this.options.api.gatewayResponses;
    const exact = all.find((g) => g.responseType === type);
    const defaultStatus = statusOverride ?? DEFAULT_STATUS[type] ?? 500;
    const fallback = all.find((g) => g.responseType === (defaultStatus >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX'));
    const chosen: GatewayResponseDefinition | undefined = exact ?? fallback;
    const statusCode = statusOverride ?? (exact?.statusCode ? Number(exact.statusCode) : defaultStatus);
    const headers: Record<string, string> = {};
    let body: string;
    const rctx = { ...ctx, responseType: type };
    if (chosen) {
      for (const [k, v] of Object.entries(chosen.responseParameters)) {
        const m = /^gatewayresponse\.header\.(.+)$/.exec(k);
        const value = literal(v);
        if (m && value !== undefined) headers[m[1]!] = value;
      }
      const tpl = chosen.responseTemplates['application/json'] ?? Object.values(chosen.responseTemplates)[0];
      body = tpl !== undefined ? renderTemplate(tpl, rctx) : JSON.stringify({ message: ctx.errorMessage });
    } else {
      body = JSON.stringify({ message: ctx.errorMessage });
    }
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    const errorType = ERROR_TYPE_HEADER[type];
    if (errorType) headers['x-amzn-ErrorType'] = errorType;
    return { statusCode, headers, body: Buffer.from(body) };
  }

  private mockResponse(method: ApiMethod, ctx: TemplateContext): Answer {
    const integration = method.integration;
    let selected = 200;
    const requestTemplate = integration.RequestTemplates?.['application/json'];
    if (typeof requestTemplate === 'string') {
      try {
        selected = Number(JSON.parse(renderTemplate(requestTemplate, ctx)).statusCode ?? 200);
      } catch {
        // keep 200
      }
    }
    const responses = (integration.IntegrationResponses ?? []) as Array<Record<string, any>>;
    const chosen =
      responses.find((r) => r.SelectionPattern && new RegExp(`^${r.SelectionPattern}$`).test(String(selected))) ??
      responses.find((r) => !r.SelectionPattern);
    if (!chosen) return this.gatewayResponse('DEFAULT_5XX', { ...ctx, errorMessage: 'Internal server error' }, 500);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((chosen.ResponseParameters ?? {}) as Record<string, string>)) {
      const m = /^method\.response\.header\.(.+)$/.exec(k);
      const value = literal(v);
      if (m && value !== undefined) headers[m[1]!] = value;
    }
    const templates = (chosen.ResponseTemplates ?? {}) as Record<string, string>;
    const tpl = templates['application/json'] ?? Object.values(templates)[0] ?? '';
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    return { statusCode: Number(chosen.StatusCode ?? 200), headers, body: Buffer.from(renderTemplate(tpl, ctx)) };
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const stage = this.options.api.stageName;
    const httpMethod = (req.method ?? 'GET').toUpperCase();
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const ctx: TemplateContext = {
      path: url.pathname,
      resourcePath: '',
      httpMethod,
      requestId,
      stage,
      sourceIp,
      errorMessage: '',
    };
    let answer: Answer | 'streamed';
    try {
      answer = await this.handle(req, url, ctx, res);
    } catch (err) {
      this.log(`[http] ${httpMethod} ${url.pathname} ${requestId}: ${(err as Error)?.stack ?? err}`);
      answer = this.gatewayResponse('DEFAULT_5XX', { ...ctx, errorMessage: 'Internal server error' }, 500);
    }
    if (answer === 'streamed') {
      this.log(`[http] ${httpMethod} ${url.pathname}${url.search} -> ${res.statusCode} streamed (${Date.now() - started} ms)`);
      return;
    }
    if (!res.headersSent) {
      const headers: Record<string, string | string[]> = { 'x-amzn-RequestId': requestId };
      for (const [k, v] of Object.entries(answer.headers)) headers[k] = v;
      for (const [k, v] of Object.entries(answer.multiValueHeaders ?? {})) {
        const existing = Object.keys(headers).find((h) => h.toLowerCase() === k.toLowerCase());
        if (existing && existing !== k) delete headers[existing];
        headers[k] = v.map(String);
      }
      headers['Content-Length'] = String(answer.body.length);
      res.writeHead(answer.statusCode, headers);
      res.end(answer.body);
    }
    this.log(`[http] ${httpMethod} ${url.pathname}${url.search} -> ${answer.statusCode} (${Date.now() - started} ms)`);
  }

  private async readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      req.resume();
      return 'too-large';
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk as Buffer);
    }
    return tooLarge ? 'too-large' : Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage, url: URL, ctx: TemplateContext, res: ServerResponse): Promise<Answer | 'streamed'> {
    const stagePrefix = `/${this.options.api.stageName}`;
    const page = ctx.httpMethod === 'GET' ? this.options.pages?.[url.pathname] : undefined;
    if (page) return { statusCode: 200, headers: { 'Content-Type': page.contentType, 'Cache-Control': 'no-store' }, body: page.body };
    const body = await this.readBody(req);
    if (body === 'too-large') {
      return this.gatewayResponse('REQUEST_TOO_LARGE', { ...ctx, errorMessage: 'Request Too Long' });
    }
    const notFound = (): Answer => this.gatewayResponse('MISSING_AUTHENTICATION_TOKEN', { ...ctx, errorMessage: 'Missing Authentication Token' });
    if (url.pathname !== stagePrefix && !url.pathname.startsWith(`${stagePrefix}/`)) return notFound();
    const resourcePathPart = url.pathname.slice(stagePrefix.length) || '/';
    const match = matchResource(this.resources, resourcePathPart);
    if (!match) return notFound();
    const method = match.resource.methods.find((m) => m.httpMethod === ctx.httpMethod) ?? match.resource.methods.find((m) => m.httpMethod === 'ANY');
    if (!method) return notFound();
    ctx.resourcePath = match.resource.path;

    const rawKey = headerValue(req, 'x-api-key');
    let identityKey: string | null = null;
    if (method.apiKeyRequired) {
      if (!rawKey || !this.keys.has(rawKey)) {
        return this.gatewayResponse('INVALID_API_KEY', { ...ctx, errorMessage: 'Forbidden' });
      }
      identityKey = rawKey;
    }

    if (method.integrationType === 'MOCK') return this.mockResponse(method, ctx);
    if (method.integrationType !== 'AWS_PROXY') {
      this.log(`[http] ${method.integrationType} integrations are not supported locally`);
      return this.gatewayResponse('DEFAULT_5XX', { ...ctx, errorMessage: 'Internal server error' }, 500);
    }

    const fn = this.options.resolveFunction(method.functionLogicalId!)!;
    const event = this.buildEvent(req, url, ctx, match, body, identityKey, resourcePathPart);
    if (isStreamingIntegration(method)) return this.stream(fn, event, ctx, res);
    let result: any;
    try {
      result = await fn.invoke(event, { logStream: 'local/http' });
    } catch (err) {
      return this.integrationFailure(fn, ctx, err);
    }
    if (!result || typeof result !== 'object' || !Number.isInteger(Number(result.statusCode))) {
      this.log(`[http] ${fn.functionName}: malformed Lambda proxy response (${ctx.requestId}): ${safeJson(result)}`);
      return this.integrationFailure(fn, ctx, undefined);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((result.headers ?? {}) as Record<string, unknown>)) headers[k] = String(v);
    if (
      !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type') &&
      !Object.keys(result.multiValueHeaders ?? {}).some((h) => h.toLowerCase() === 'content-type')
    ) {
      headers['Content-Type'] = 'application/json';
    }
    const rawBody = result.body === undefined || result.body === null ? '' : String(result.body);
    return {
      statusCode: Number(result.statusCode),
      headers,
      multiValueHeaders: result.multiValueHeaders ?? undefined,
      body: result.isBase64Encoded ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody),
    };
  }

  /**
   * An integration with `responseTransferMode: STREAM`: the handler writes the response as it goes
   * (see ./streaming.ts); a failure before its first byte is a 502, as on API Gateway.
   */
  private async stream(fn: LocalLambda, event: Record<string, unknown>, ctx: TemplateContext, res: ServerResponse): Promise<Answer | 'streamed'> {
    const timer = setTimeout(() => res.destroy(), fn.timeoutSeconds * 1000);
    try {
      await streamToResponse(fn, event, res, { 'x-amzn-RequestId': ctx.requestId }, { logStream: 'local/http' });
      return 'streamed';
    } catch (err) {
      if (res.headersSent) {
        this.log(`[http] ${fn.functionName} failed (${ctx.requestId}): ${(err as Error)?.stack ?? err}`);
        res.destroy();
        return 'streamed';
      }
      return this.integrationFailure(fn, ctx, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private buildEvent(
    req: IncomingMessage,
    url: URL,
    ctx: TemplateContext,
    match: RouteMatch,
    body: Buffer,
    apiKey: string | null,
    path: string,
  ): Record<string, unknown> {
    // Prototype-less maps: a header or query parameter named `constructor`, `valueOf` or
    // `__proto__` is data, as in the JSON event Lambda receives (found by the fuzz suite).
    const headers: Record<string, string> = Object.create(null);
    const multiValueHeaders: Record<string, string[]> = Object.create(null);
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      const value = req.rawHeaders[i + 1]!;
      const existing = Object.keys(multiValueHeaders).find((h) => h.toLowerCase() === name.toLowerCase()) ?? name;
      multiValueHeaders[existing] = [...(multiValueHeaders[existing] ?? []), value];
      headers[existing] = value;
    }
    const addHeader = (name: string, value: string): void => {
      if (!Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase())) {
        headers[name] = value;
        multiValueHeaders[name] = [value];
      }
    };
    addHeader('X-Forwarded-For', ctx.sourceIp);
    addHeader('X-Forwarded-Port', String(this.port));
    addHeader('X-Forwarded-Proto', 'http');

    const qs: Record<string, string> = Object.create(null);
    const mqs: Record<string, string[]> = Object.create(null);
    for (const [k, v] of url.searchParams) {
      qs[k] = v;
      mqs[k] = [...(mqs[k] ?? []), v];
    }
    const hasQuery = Object.keys(qs).length > 0;
    const now = new Date();
    const stage = this.options.api.stageName;
    return {
      resource: match.resource.path,
      path,
      httpMethod: ctx.httpMethod,
      headers,
      multiValueHeaders,
      queryStringParameters: hasQuery ? qs : null,
      multiValueQueryStringParameters: hasQuery ? mqs : null,
      pathParameters: match.pathParameters,
      stageVariables: null,
      requestContext: {
        accountId: this.options.accountId ?? '000000000000',
        apiId: this.options.api.apiId,
        domainName: headerValue(req, 'host') ?? `127.0.0.1:${this.port}`,
        domainPrefix: '127',
        extendedRequestId: ctx.requestId,
        httpMethod: ctx.httpMethod,
        identity: {
          accessKey: null,
          accountId: null,
          apiKey,
          apiKeyId: apiKey === null ? null : apiKeyId(apiKey),
          caller: null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: ctx.sourceIp,
          user: null,
          userAgent: headerValue(req, 'user-agent') ?? null,
          userArn: null,
        },
        path: `/${stage}${path === '/' ? '/' : path}`,
        protocol: `HTTP/${req.httpVersion}`,
        requestId: ctx.requestId,
        requestTime: formatRequestTime(now),
        requestTimeEpoch: now.getTime(),
        resourceId: match.resource.path,
        resourcePath: match.resource.path,
        stage,
      },
      body: body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
    };
  }
}

/** API Gateway's response streaming: `ResponseTransferMode: STREAM`, which invokes `…/response-streaming-invocations`. */
function isStreamingIntegration(method: ApiMethod): boolean {
  return method.integration.ResponseTransferMode === 'STREAM' || String(method.integration.Uri ?? '').includes('/response-streaming-invocations');
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v)?.slice(0, 500) ?? String(v);
  } catch {
    return String(v);
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function formatRequestTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export async function startHttpFront(options: HttpFrontOptions): Promise<HttpFront> {
  return new HttpFront(options).start();
}
