/**
 * The get-console function as built (dist/functions/get-console, by `npm run build`): the page, its two files,
 * their headers, and the console's weight against its budget (≤ 60 KiB gzipped in all).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { consolePolicy } from '#http/console-page';
import { CONSOLE_BUDGET_BYTES, FUNCTIONS_OUT_DIR } from '../../scripts/build-functions.ts';
import { apiEvent } from '../support/api-event.ts';

const FUNCTION_DIR = join(FUNCTIONS_OUT_DIR, 'get-console');

type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyResult>;
let handler: Handler;
const context = { awsRequestId: 'r', functionName: 'get-console', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function get(resource: '/console' | '/console/{asset}', asset?: string, query?: Record<string, string>) {
  return handler(apiEvent({ method: 'GET', resource, ...(asset && { pathParameters: { asset } }), ...(query && { query }) }), context);
}

beforeAll(async () => {
  if (!existsSync(join(FUNCTION_DIR, 'index.mjs'))) throw new Error('dist/functions/get-console is not built: run `npm run build`');
  process.env.RESULT_LINK_ORIGINS = 'https://results.s3.eu-west-1.amazonaws.com,https://results.s3.amazonaws.com';
  process.env.LIVE_URL = 'wss://abc123.execute-api.eu-west-1.amazonaws.com/v1';
  ({ handler } = (await import(pathToFileURL(join(FUNCTION_DIR, 'index.mjs')).href)) as { handler: Handler });
});

describe('console function (as built)', () => {
  it('serves the page, loading only its own script and stylesheet, under a strict Content-Security-Policy', async () => {
    const page = await get('/console');
    expect(page.statusCode).toBe(200);
    expect(page.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    });
    const csp = String(page.headers!['Content-Security-Policy']);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("default-src 'none'");
    // The results bucket (the result route's 303) and the live channel's WebSocket origin (its stage path dropped).
    expect(csp).toContain(
      "connect-src 'self' https://results.s3.eu-west-1.amazonaws.com https://results.s3.amazonaws.com wss://abc123.execute-api.eu-west-1.amazonaws.com;",
    );
    expect(csp).not.toMatch(/unsafe|\*/);
    // No inline script or style, and nothing from another origin: only /v1/console/app.{js,css}.
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|<style|\sstyle=|\son\w+=/i);
    const urls = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls).toEqual([
      'data:,',
      expect.stringMatching(/^\/v1\/console\/app\.css\?v=[\w-]+$/),
      expect.stringMatching(/^\/v1\/console\/app\.js\?v=[\w-]+$/),
    ]);
  });

  it('serves the script and stylesheet, for good under the versioned URL the page names', async () => {
    const page = await get('/console');
    const version = /app\.js\?v=([\w-]+)/.exec(page.body)![1]!;
    const script = await get('/console/{asset}', 'app.js', { v: version });
    expect(script.statusCode).toBe(200);
    expect(script.headers).toMatchObject({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=31536000, immutable',
    });
    expect(script.body).toBe(readFileSync(join(FUNCTION_DIR, 'console', 'app.js'), 'utf8'));
    const style = await get('/console/{asset}', 'app.css');
    expect(style.headers).toMatchObject({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' });
  });

  it.each(['index.html', '../index.mjs', 'app.js.map', 'constructor'])('answers 404 problem for any other file (%s)', async (asset) => {
    const answer = await get('/console/{asset}', asset);
    expect(answer.statusCode).toBe(404);
    expect(answer.headers!['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'https://longrun.dev/problems/not-found', status: 404 });
  });

  it(`weighs at most ${CONSOLE_BUDGET_BYTES / 1024} KiB gzipped, page and files together`, async () => {
    const page = (await get('/console')).body;
    const files = ['app.js', 'app.css'].map((name) => readFileSync(join(FUNCTION_DIR, 'console', name)));
    const gzipped = [Buffer.from(page), ...files].reduce((sum, bytes) => sum + gzipSync(bytes, { level: 9 }).length, 0);
    expect(gzipped).toBeGreaterThan(1024);
    expect(gzipped).toBeLessThanOrEqual(CONSOLE_BUDGET_BYTES);
  });
});

describe('console policy', () => {
  it('allows this origin only, plus the origins of result links', () => {
    expect(consolePolicy([])).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'",
    );
    expect(consolePolicy(['http://127.0.0.1:4566'])).toContain("connect-src 'self' http://127.0.0.1:4566;");
  });
});
