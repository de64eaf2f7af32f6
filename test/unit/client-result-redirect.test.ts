/** The typed client's `result()` with a stored result, against a stub `fetch` (Node's, and a browser's opaque redirect). */

import { LongrunClient } from '@longrun/client';
import { describe, expect, it } from 'vitest';

const LINK = 'https://results.s3.example.com/results/r.json?X-Amz-Signature=abc';
type Call = { url: string; headers: Headers; redirect?: RequestInit['redirect'] };

function stub(browser: boolean) {
  const calls: Call[] = [];
  const fetchStub = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({ url: String(url), headers: new Headers(init?.headers), redirect: init?.redirect });
    if (String(url) === LINK) return new Response('{"rows":[1,2,3]}', { status: 200, headers: { 'content-type': 'application/json' } });
    if (init?.redirect === 'manual' && browser)
      return Object.defineProperty(new Response(null, { status: 200 }), 'type', { value: 'opaqueredirect' });
    if (init?.redirect === 'manual') return new Response(null, { status: 303, headers: { location: LINK } });
    // A browser following the redirect itself.
    return new Response('{"rows":[1,2,3]}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { calls, client: new LongrunClient({ baseUrl: 'https://api.example.com/v1', apiKey: 'secret', fetch: fetchStub as typeof fetch }) };
}

describe('LongrunClient.result() and a 303', () => {
  it('reads Location and fetches it without the API key', async () => {
    const { client, calls } = stub(false);
    expect(await client.result('t1')).toEqual({ rows: [1, 2, 3] });
    expect(calls.map((c) => [c.url, c.headers.get('x-api-key')])).toEqual([
      ['https://api.example.com/v1/tasks/t1/result', 'secret'],
      [LINK, null],
    ]);
  });

  it('in a browser (opaque redirect) lets fetch follow it', async () => {
    const { client, calls } = stub(true);
    expect(await client.result('t1')).toEqual({ rows: [1, 2, 3] });
    expect(calls.map((c) => c.redirect)).toEqual(['manual', undefined]);
  });
});
