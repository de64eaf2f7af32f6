/**
 * Clients nobody here wrote, against the local stack: @azure/core-lro's own poller (the one under
 * every Azure SDK) with its defaults, and a checker that follows the Logic Apps / Power Automate
 * HTTP action's documented asynchronous pattern. Every answer is checked against the OpenAPI document.
 */
import { createHttpPoller, type OperationResponse, type RunningOperation } from '@azure/core-lro';
import { describe, expect, it } from 'vitest';
import { rowsWithInputContaining } from '../support/fixtures.ts';
import { type HttpResponse, http, sleep } from '../support/http.ts';

type Raw = OperationResponse<unknown>;

function raw(method: string, url: string, response: HttpResponse, keep?: (name: string) => boolean): Raw {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!keep || keep(name)) headers[name] = value;
  });
  return { flatResponse: response.body, rawResponse: { statusCode: response.status, request: { method, url }, headers, body: response.body } };
}

/** core-lro's view of our API: one POST, then GETs on whatever absolute URL it picks. `keep` filters the submit's headers. */
function operation(path: string, body: unknown, keep?: (name: string) => boolean) {
  const polled: string[] = [];
  const lro: RunningOperation<unknown> = {
    sendInitialRequest: async () => raw('POST', path, await http('POST', path, { body }), keep),
    sendPollRequest: async (url: string) => {
      polled.push(url);
      return raw('GET', url, await http('GET', url));
    },
  };
  return { lro, polled };
}

describe('@azure/core-lro poller', () => {
  it('plain submit (Operation-Location mode): polls the task, then returns the result from resourceLocation', async () => {
    const { lro, polled } = operation('/tasks', { type: 'primes', input: { upTo: 1_000_000 } });
    const poller = createHttpPoller(lro);
    const result = await poller.pollUntilDone();
    expect(result).toEqual({ count: 78_498 });
    expect(poller.operationState?.status).toBe('succeeded');
    expect(polled.length).toBeGreaterThanOrEqual(2);
    expect(polled.every((url) => /^http:\/\/127\.0\.0\.1:\d+\/v1\/tasks\/[0-9a-f-]{36}(\/result)?$/.test(url))).toBe(true);
    expect(polled.at(-1)).toMatch(/\/result$/);
  });

  it('?location=result: succeeds the same way, its Location pointing at the result monitor', async () => {
    const { lro } = operation('/tasks?location=result', { type: 'primes', input: { upTo: 200_000 } });
    expect(await createHttpPoller(lro).pollUntilDone()).toEqual({ count: 17_984 });
  });

  it('?location=result followed by Location alone (Location mode): 202 while running, the 200 result at the end', async () => {
    const { lro, polled } = operation(
      '/tasks?location=result',
      { type: 'primes', input: { upTo: 2_000_000 } },
      (name) => name !== 'operation-location',
    );
    const result = await createHttpPoller(lro).pollUntilDone();
    expect(result).toEqual({ count: 148_933 });
    expect(new Set(polled).size).toBe(1);
    expect(polled[0]).toMatch(/\/result$/);
  });

  it('a failed task is the poller failing, in both modes', async () => {
    const failing = { type: 'fail', input: { message: 'core-lro sees this' } };
    await expect(createHttpPoller(operation('/tasks', failing).lro).pollUntilDone()).rejects.toThrow(/fail/i);
    const locationOnly = operation('/tasks?location=result', failing, (name) => name !== 'operation-location').lro;
    await expect(createHttpPoller(locationOnly).pollUntilDone()).rejects.toThrow();
  });
});

/**
 * The Logic Apps HTTP action's asynchronous pattern, as documented: after a 202 it polls the
 * `location` header (which must be absolute), waiting `retry-after` between polls, while the
 * answer is 202; the first other answer is the action's output, and a 4xx/5xx fails the action.
 */
async function logicAppsHttpAction(body: unknown): Promise<{ status: number; body: unknown; polls: number }> {
  const submitted = await http('POST', '/tasks?location=result', { body });
  expect(submitted.status).toBe(202);
  let answer = submitted;
  let polls = 0;
  while (answer.status === 202) {
    const location = answer.headers.get('location');
    expect(location, 'a 202 carries a location').toBeTruthy();
    expect(() => new URL(location!), 'location is absolute').not.toThrow();
    const retryAfter = Number(answer.headers.get('retry-after') ?? 'NaN');
    expect(Number.isInteger(retryAfter) && retryAfter >= 1, 'retry-after is whole seconds').toBe(true);
    await sleep(retryAfter * 1000);
    answer = await http('GET', location!);
    polls++;
    expect(polls).toBeLessThan(60);
  }
  return { status: answer.status, body: answer.body, polls };
}

describe('Logic Apps / Power Automate HTTP action (asynchronous pattern)', () => {
  it('ends with the result for a succeeded task', async () => {
    const outcome = await logicAppsHttpAction({ type: 'sleep', input: { seconds: 2 } });
    expect(outcome.status).toBe(200);
    expect(outcome.polls).toBeGreaterThanOrEqual(1);
  });

  it('ends with a 409 problem carrying the task error for a failed task (the action fails)', async () => {
    const outcome = await logicAppsHttpAction({ type: 'fail', input: { message: 'logic apps sees this' } });
    expect(outcome.status).toBe(409);
    expect(outcome.body).toMatchObject({
      taskStatus: 'failed',
      error: { type: 'https://longrun.dev/problems/task-failed', detail: 'logic apps sees this' },
    });
  });
});

describe('?location', () => {
  it('an unknown value is a 400 naming the parameter, and no task is created', async () => {
    // Other tests submit as this caller meanwhile: look for this very request's input, not a count.
    const marker = `location-${crypto.randomUUID()}`;
    const response = await http('POST', '/tasks?location=elsewhere', { body: { type: 'fail', input: { message: marker } } });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: 'https://longrun.dev/problems/invalid-parameter', errors: [{ pointer: 'location' }] });
    expect(await rowsWithInputContaining(marker)).toEqual([]);
    // The same body without the bad parameter is stored, so the search can find one.
    const accepted = await http('POST', '/tasks', { body: { type: 'fail', input: { message: marker } } });
    expect(accepted.status).toBe(202);
    expect((await rowsWithInputContaining(marker)).map((r) => r.id)).toEqual([accepted.body.id]);
  });
});
