/** Response shaping shared by every route: JSON bodies, CORS and caching headers. */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { config } from '#config';

export interface ApiResponse {
  status: number;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is instead of `body` (a page, a script), with the Content-Type given in `headers`. */
  text?: string;
  headers?: Record<string, string | undefined>;
}

export function commonHeaders(origin?: string): Record<string, string> {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
  const allowed = config.corsAllowOrigins;
  if (origin && (allowed.includes('*') || allowed.includes(origin))) {
    headers['Access-Control-Allow-Origin'] = allowed.includes('*') ? '*' : origin;
    headers['Access-Control-Expose-Headers'] = 'Location, Retry-After, ETag, Operation-Location, Preference-Applied';
    headers.Vary = 'Origin';
  }
  return headers;
}

export function toResult(response: ApiResponse, origin?: string): APIGatewayProxyResult {
  const headers: Record<string, string> = commonHeaders(origin);
  if (response.body !== undefined) headers['Content-Type'] = 'application/json';
  for (const [name, value] of Object.entries(response.headers ?? {})) if (value !== undefined) headers[name] = value;
  const body = response.text ?? (response.body === undefined ? '' : JSON.stringify(response.body));
  return { statusCode: response.status, headers, body };
}

/** A strong validator over the exact representation bytes. */
export function etagOf(body: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
}

/** RFC 9110 If-None-Match: weak comparison, `*` matches any current representation. */
export function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || strip(tag) === strip(etag));
}
