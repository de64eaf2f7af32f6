/**
 * The absolute URL every link and `Location` starts with, built from the request as API Gateway
 * describes it, so that it is right on the execute-api URL and behind a custom domain alike.
 *
 * The rule: `requestContext.path` is the path the client sent (with the stage on execute-api,
 * `/v1/tasks/…`; with the base path on a custom domain, `/longrun/tasks/…`; bare with an empty
 * base path mapping), and `resource` is the route template below the stage (`/tasks/{id}`). The
 * prefix is `requestContext.path` without as many trailing segments as `resource` has. `event.path`
 * cannot be used alone: it omits the stage on execute-api but keeps a custom domain's base path.
 * The host is `requestContext.domainName` (set by API Gateway, not by the client), else `Host`;
 * the scheme is `X-Forwarded-Proto` (API Gateway sets `https`; the local front `http`).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface BaseUrl {
  /** `https://host` (empty when the request names no usable host: links stay host-relative). */
  origin: string;
  /** The prefix of every API path, e.g. `/v1` or `/longrun`; empty under a root mapping. */
  basePath: string;
}

// A host name or IPv4/[IPv6] address with an optional port: nothing that could break out of a URL.
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === name && value) return value;
  return undefined;
}

function segments(path: string): string[] {
  return path.split('/').filter(Boolean);
}

function basePathOf(event: Pick<APIGatewayProxyEvent, 'resource' | 'requestContext'>): string {
  const requestPath = event.requestContext?.path;
  const stage = event.requestContext?.stage;
  if (!requestPath || !event.resource) return stage ? `/${stage}` : '';
  const sent = segments(requestPath);
  const prefix = sent.slice(0, Math.max(0, sent.length - segments(event.resource).length));
  return prefix.length ? `/${prefix.join('/')}` : '';
}

export function baseUrlOf(event: APIGatewayProxyEvent): BaseUrl {
  const host = [event.requestContext?.domainName, header(event, 'host')].find((h): h is string => !!h && HOST.test(h));
  const forwarded = header(event, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const scheme = forwarded === 'http' || forwarded === 'https' ? forwarded : 'https';
  return { origin: host ? `${scheme}://${host.toLowerCase()}` : '', basePath: basePathOf(event) };
}
