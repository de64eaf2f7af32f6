/**
 * The local API Gateway WebSocket API, from the template: the `ws` library serves its stage
 * (`ws://127.0.0.1:PORT/<stage>`), runs `$connect` (a non-2xx answer refuses the handshake with that
 * status), selects a route for each message by the API's `RouteSelectionExpression` (else
 * `$default`, else API Gateway's `Forbidden` message), sends a route's answer back when the route
 * has a route response, and runs `$disconnect` when a connection ends. The same port serves the
 * management API (`POST|GET|DELETE /<stage>/@connections/{id}`), where the functions' management
 * client is pointed: the template's `https://<api>.execute-api…/<stage>` becomes this front's URL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { LocalLambda } from './functions/local-lambda.ts';
import { type CfnTemplate, functionBehind, type LocalValues, referencedLogicalIds, resolveIntrinsics } from './template.ts';

/** API Gateway's limits: 128 KB a message, 10 minutes idle, 2 hours in all. */
const MAX_MESSAGE_BYTES = 128 * 1024;
const IDLE_MS = 10 * 60_000;
const MAX_CONNECTION_MS = 2 * 3600_000;

export interface WebSocketRouteDefinition {
  routeKey: string;
  functionLogicalId: string;
  /** The route has a route response: the function's answer goes back to the client. */
  returnResponse: boolean;
}

export interface WebSocketApiDefinition {
  logicalId: string;
  /** The API id as the template's values resolve it (what its execute-api URLs contain). */
  apiId: string;
  stageName: string;
  routeSelectionExpression: string;
  routes: WebSocketRouteDefinition[];
}

/** The template's WebSocket API (API Gateway v2, protocol WEBSOCKET), if it has one. */
export function findWebSocketApi(template: CfnTemplate, values: LocalValues): WebSocketApiDefinition | undefined {
  const resources = Object.entries(template.Resources);
  const apis = resources.filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Api' && r.Properties?.ProtocolType === 'WEBSOCKET');
  if (apis.length === 0) return undefined;
  if (apis.length > 1) throw new Error(`Expected at most one WebSocket API in the template, found ${apis.length}`);
  const [logicalId, api] = apis[0]!;
  const ofApi = (type: string) => resources.filter(([, r]) => r.Type === type && referencedLogicalIds(r.Properties?.ApiId).has(logicalId));
  const integrations = new Map(
    ofApi('AWS::ApiGatewayV2::Integration').map(([id, r]) => [
      id,
      // The function itself, or a version or alias of it (the routes invoke their functions' live aliases).
      functionBehind(template, r.Properties?.IntegrationUri),
    ]),
  );
  const withResponse = new Set(ofApi('AWS::ApiGatewayV2::RouteResponse').flatMap(([, r]) => [...referencedLogicalIds(r.Properties?.RouteId)]));
  const routes = ofApi('AWS::ApiGatewayV2::Route').map(([id, r]) => {
    const integration = [...referencedLogicalIds(r.Properties?.Target)].find((ref) => integrations.has(ref));
    const functionLogicalId = integration && integrations.get(integration);
    if (!functionLogicalId) throw new Error(`WebSocket route ${r.Properties?.RouteKey}: only Lambda proxy integrations run locally`);
    return { routeKey: String(r.Properties?.RouteKey), functionLogicalId, returnResponse: withResponse.has(id) };
  });
  const stage = ofApi('AWS::ApiGatewayV2::Stage')[0];
  return {
    logicalId,
    apiId: values.refs[logicalId] ?? logicalId,
    stageName: String(resolveIntrinsics(stage?.[1].Properties?.StageName ?? '$default', values, template)),
    routeSelectionExpression: String(api.Properties?.RouteSelectionExpression ?? '$request.body.action'),
    routes,
  };
}

/** `$request.body.<path>` of a JSON message: the route key it selects, if any. */
function selectRoute(expression: string, body: string): string | undefined {
  const path = /^\$request\.body\.(.+)$/.exec(expression)?.[1];
  if (!path) return undefined;
  try {
    let value: unknown = JSON.parse(body);
    for (const key of path.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

interface Connection {
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent?: string;
  idle?: NodeJS.Timeout;
  lifetime?: NodeJS.Timeout;
}

export interface WebSocketFrontOptions {
  api: WebSocketApiDefinition;
  resolveFunction: (functionLogicalId: string) => LocalLambda | undefined;
  port?: number;
  log?: (line: string) => void;
}

export class WebSocketFront {
  private server?: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly connections = new Map<string, Connection>();
  private readonly routes: Map<string, WebSocketRouteDefinition>;
  /** `ws://127.0.0.1:PORT/<stage>`: where clients connect. */
  url = '';
  /** `http://127.0.0.1:PORT/<stage>`: the management API (`@connections`). */
  callbackUrl = '';

  constructor(private readonly options: WebSocketFrontOptions) {
    this.routes = new Map(options.api.routes.map((r) => [r.routeKey, r]));
    for (const route of options.api.routes) {
      if (!options.resolveFunction(route.functionLogicalId)) throw new Error(`WebSocket route ${route.routeKey}: no local function`);
    }
  }

  private log(line: string): void {
    (this.options.log ?? ((l) => console.error(l)))(line);
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.manage(req, res));
    server.on('upgrade', (req, socket, head) => void this.upgrade(req, socket as import('node:net').Socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${port}/${this.options.api.stageName}`;
    this.callbackUrl = `http://127.0.0.1:${port}/${this.options.api.stageName}`;
    return this;
  }

  /** The template's execute-api URL of this API (`wss://…` or `https://…`, with any path) as served here; other values unchanged. */
  localize(value: string): string {
    const match = /^(wss|https):\/\/([^./]+)\.execute-api\.[^/]+(\/.*)?$/.exec(value);
    if (!match || match[2] !== this.options.api.apiId) return value;
    return `${match[1] === 'wss' ? this.url.replace(/\/[^/]*$/, '') : this.callbackUrl.replace(/\/[^/]*$/, '')}${match[3] ?? ''}`;
  }

  async close(): Promise<void> {
    for (const { socket } of this.connections.values()) socket.terminate();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.wss.close();
  }

  private requestContext(
    routeKey: string,
    eventType: string,
    connectionId: string,
    connection: Pick<Connection, 'connectedAt' | 'sourceIp' | 'userAgent'>,
  ) {
    const now = new Date();
    const requestId = randomUUID();
    return {
      routeKey,
      eventType,
      extendedRequestId: requestId,
      requestTime: now.toUTCString(),
      messageDirection: 'IN',
      stage: this.options.api.stageName,
      connectedAt: connection.connectedAt,
      requestTimeEpoch: now.getTime(),
      identity: { sourceIp: connection.sourceIp, ...(connection.userAgent && { userAgent: connection.userAgent }) },
      requestId,
      domainName: new URL(this.url).host,
      connectionId,
      apiId: this.options.api.apiId,
    };
  }

  private async invoke(
    routeKey: string,
    event: Record<string, unknown>,
  ): Promise<{ statusCode?: number; body?: unknown; headers?: Record<string, string> }> {
    const route = this.routes.get(routeKey)!;
    const fn = this.options.resolveFunction(route.functionLogicalId)!;
    const result = await fn.invoke(event, { logStream: 'local/websocket', whenThrottled: routeKey === '$disconnect' ? 'wait' : 'reject' });
    return (result ?? {}) as { statusCode?: number; body?: unknown; headers?: Record<string, string> };
  }

  private async upgrade(req: IncomingMessage, socket: import('node:net').Socket, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, reason: string, headers: Record<string, string> = {}, body = '') => {
      const lines = [
        `HTTP/1.1 ${status} ${reason}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        `Content-Length: ${Buffer.byteLength(body)}`,
      ];
      socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
    };
    if (url.pathname !== `/${this.options.api.stageName}` && url.pathname !== `/${this.options.api.stageName}/`) return refuse(404, 'Not Found');
    const connectionId = randomBytes(12).toString('base64').replace(/\//g, '_').replace(/\+/g, '-');
    const connection = {
      connectedAt: Date.now(),
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
    };
    if (this.routes.has('$connect')) {
      const query = Object.fromEntries(url.searchParams);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
      let answer: Awaited<ReturnType<WebSocketFront['invoke']>>;
      try {
        answer = await this.invoke('$connect', {
          headers,
          multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
          ...(url.searchParams.size > 0 && {
            queryStringParameters: query,
            multiValueQueryStringParameters: Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)])),
          }),
          requestContext: this.requestContext('$connect', 'CONNECT', connectionId, connection),
          isBase64Encoded: false,
        });
      } catch (error) {
        this.log(`[websocket] $connect failed: ${(error as Error)?.message ?? error}`);
        return refuse(500, 'Internal Server Error');
      }
      const status = Number(answer.statusCode ?? 200);
      if (status < 200 || status > 299) {
        this.log(`[websocket] $connect refused: ${status}`);
        return refuse(status, 'Refused', answer.headers ?? {}, typeof answer.body === 'string' ? answer.body : '');
      }
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(connectionId, ws, connection));
  }

  private accept(connectionId: string, socket: WebSocket, info: Pick<Connection, 'connectedAt' | 'sourceIp' | 'userAgent'>): void {
    const connection: Connection = { socket, ...info, lastActiveAt: Date.now() };
    this.connections.set(connectionId, connection);
    const touch = () => {
      connection.lastActiveAt = Date.now();
      clearTimeout(connection.idle);
      connection.idle = setTimeout(() => socket.close(1001, 'Going away'), IDLE_MS).unref();
    };
    touch();
    connection.lifetime = setTimeout(() => socket.close(1001, 'Going away'), MAX_CONNECTION_MS).unref();
    socket.on('message', (data: RawData) => {
      touch();
      void this.message(connectionId, connection, data.toString());
    });
    socket.on('close', (code: number, reason: Buffer) => {
      clearTimeout(connection.idle);
      clearTimeout(connection.lifetime);
      this.connections.delete(connectionId);
      if (!this.routes.has('$disconnect')) return;
      this.invoke('$disconnect', {
        headers: {},
        requestContext: {
          ...this.requestContext('$disconnect', 'DISCONNECT', connectionId, connection),
          disconnectStatusCode: code,
          disconnectReason: reason.toString(),
        },
        isBase64Encoded: false,
      }).catch((error) => this.log(`[websocket] $disconnect failed: ${(error as Error)?.message ?? error}`));
    });
  }

  private async message(connectionId: string, connection: Connection, body: string): Promise<void> {
    const selected = selectRoute(this.options.api.routeSelectionExpression, body);
    const routeKey = selected !== undefined && this.routes.has(selected) ? selected : this.routes.has('$default') ? '$default' : undefined;
    const context = this.requestContext(routeKey ?? '$default', 'MESSAGE', connectionId, connection);
    const reply = (text: string) => {
      if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(text);
    };
    // API Gateway's own answers, with the connection and request ids.
    const gatewayMessage = (message: string) => reply(JSON.stringify({ message, connectionId, requestId: context.requestId }));
    if (!routeKey) return gatewayMessage('Forbidden');
    try {
      const answer = await this.invoke(routeKey, { requestContext: { ...context, messageId: randomUUID() }, body, isBase64Encoded: false });
      if (this.routes.get(routeKey)!.returnResponse && typeof answer.body === 'string') reply(answer.body);
    } catch (error) {
      this.log(`[websocket] ${routeKey} failed: ${(error as Error)?.message ?? error}`);
      gatewayMessage('Internal server error');
    }
  }

  /** The management API: PostToConnection, GetConnection, DeleteConnection; an unknown connection is `410 GoneException`. */
  private async manage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = new RegExp(`^/${this.options.api.stageName}/@connections/([^/?]+)$`).exec(new URL(req.url ?? '/', 'http://localhost').pathname);
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
      res.end(text);
    };
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!match) return answer(404, { message: 'Not Found' });
    const connectionId = decodeURIComponent(match[1]!);
    const connection = this.connections.get(connectionId);
    if (!connection) return answer(410, { message: `Connection ${connectionId} is gone` }, { 'x-amzn-errortype': 'GoneException' });
    switch (req.method) {
      case 'POST': {
        const data = Buffer.concat(chunks);
        if (data.length > MAX_MESSAGE_BYTES) return answer(413, { message: 'Payload too large' }, { 'x-amzn-errortype': 'PayloadTooLargeException' });
        connection.socket.send(data.toString('utf8'));
        connection.lastActiveAt = Date.now();
        return answer(200);
      }
      case 'GET':
        return answer(200, {
          ConnectedAt: new Date(connection.connectedAt).toISOString(),
          Identity: { SourceIp: connection.sourceIp, ...(connection.userAgent && { UserAgent: connection.userAgent }) },
          LastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        });
      case 'DELETE':
        connection.socket.close(1000, 'Deleted');
        return answer(204);
      default:
        return answer(405, { message: 'Method Not Allowed' });
    }
  }
}

export async function startWebSocketFront(options: WebSocketFrontOptions): Promise<WebSocketFront> {
  return new WebSocketFront(options).start();
}
