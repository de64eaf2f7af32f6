/**
 * No leaks: what the route handlers log never holds API keys, tokens or request bodies, and what
 * they answer never holds ARNs, our table's name or stack traces, even when AWS calls fail with
 * messages full of them. Stubs are used only to inject those faults.
 */

import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamodb } from '#clients/dynamodb';
import { sfn } from '#clients/sfn';
import { handler as cancel } from '#http/cancel-task';
import { handler as getTask } from '#http/get-task';
import { handler as getResult } from '#http/get-task-result';
import { handler as list } from '#http/list-tasks';
import { handler as submit } from '#http/submit-task';
import { logger } from '#observability/logger';
import { buildStack } from '../infra/fixture.ts';
import { apiEvent, invoke } from '../support/api-event.ts';
import { newCaller, putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

const stack = useLocalStackEnv();
// Everything the logger could write, debug included.
logger.setLogLevel('DEBUG');

const BODY_SECRET = `body-secret-${crypto.randomUUID()}`;
const KEY_SECRET = `key-secret-${crypto.randomUUID()}`;
const TOKEN_SECRET = `token-secret-${crypto.randomUUID()}`;
const SECRETS = [BODY_SECRET, KEY_SECRET, TOKEN_SECRET];
const ARN = `arn:aws:dynamodb:eu-west-1:123456789012:table/${stack.tableName}`;

/** An AWS SDK-like failure whose message names internal resources. */
function awsError(name: string, retryable = false): Error {
  const error = new Error(
    `User: arn:aws:sts::123456789012:assumed-role/longrun-fn/x is not authorized to perform: dynamodb:PutItem on resource: ${ARN} (table ${stack.tableName}) because no identity-based policy allows it`,
  );
  error.name = name;
  Object.assign(error, { $fault: 'client', $metadata: { httpStatusCode: 400, requestId: 'R' }, ...(retryable && { $retryable: {} }) });
  return error;
}

let logs = '';
beforeAll(() => {
  const capture = (...args: unknown[]) => {
    logs += `${args.map((a) => (typeof a === 'string' ? a : a instanceof Uint8Array ? Buffer.from(a).toString() : JSON.stringify(a))).join(' ')}\n`;
  };
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      capture(chunk);
      return true;
    }) as never);
  }
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) vi.spyOn(console, level).mockImplementation(capture);
});
afterAll(() => vi.restoreAllMocks());

const caller = newCaller();
const secretHeaders = {
  'Content-Type': 'application/json',
  'x-api-key': KEY_SECRET,
  Authorization: `Bearer ${TOKEN_SECRET}`,
  'Idempotency-Key': `idem-${crypto.randomUUID()}`,
};
const secretBody = JSON.stringify({ type: 'fail', input: { message: BODY_SECRET } });

const requests = {
  submit: () =>
    invoke(
      submit,
      apiEvent({
        method: 'POST',
        resource: '/tasks',
        headers: { ...secretHeaders, 'Idempotency-Key': `idem-${crypto.randomUUID()}` },
        body: secretBody,
        apiKeyId: caller.apiKeyId,
      }),
    ),
  submitMalformed: () =>
    invoke(
      submit,
      apiEvent({
        method: 'POST',
        resource: '/tasks',
        headers: secretHeaders,
        body: `{"type":"fail","input":{"message":"${BODY_SECRET}"`,
        apiKeyId: caller.apiKeyId,
      }),
    ),
  submitInvalid: () =>
    invoke(
      submit,
      apiEvent({
        method: 'POST',
        resource: '/tasks',
        headers: secretHeaders,
        body: JSON.stringify({ type: 'fail', input: { message: BODY_SECRET, extra: 1 } }),
        apiKeyId: caller.apiKeyId,
      }),
    ),
  get: (id: string) =>
    invoke(getTask, apiEvent({ method: 'GET', resource: '/tasks/{id}', pathParameters: { id }, headers: secretHeaders, apiKeyId: caller.apiKeyId })),
  result: (id: string) =>
    invoke(
      getResult,
      apiEvent({ method: 'GET', resource: '/tasks/{id}/result', pathParameters: { id }, headers: secretHeaders, apiKeyId: caller.apiKeyId }),
    ),
  list: () => invoke(list, apiEvent({ method: 'GET', resource: '/tasks', headers: secretHeaders, apiKeyId: caller.apiKeyId })),
  cancel: (id: string) =>
    invoke(
      cancel,
      apiEvent({ method: 'DELETE', resource: '/tasks/{id}', pathParameters: { id }, headers: secretHeaders, apiKeyId: caller.apiKeyId }),
    ),
};

function expectNoInternals(response: { status: number; body?: Record<string, unknown> }) {
  const text = JSON.stringify(response.body ?? {});
  expect(text).not.toMatch(/arn:aws/);
  expect(text).not.toContain(stack.tableName);
  expect(text).not.toMatch(/\bat \/|\.ts:\d|\.js:\d/);
  expect(text).not.toMatch(/Exception|AccessDenied|not authorized/);
}

function expectLogsClean() {
  for (const secret of SECRETS) expect(logs, `logs hold ${secret.split('-')[0]}`).not.toContain(secret);
}

afterEach(() => expectLogsClean());

describe('handlers log no secrets and answer no internals', () => {
  it('on the happy paths', async () => {
    const submitted = await requests.submit();
    expect(submitted.status).toBe(202);
    const id = submitted.body!.id as string;
    for (const response of [await requests.get(id), await requests.list(), await requests.result(id), await requests.cancel(id)]) {
      expect(response.status).toBeLessThan(500);
      expectNoInternals(response);
    }
  });

  it('on rejected bodies (malformed JSON, schema violations)', async () => {
    for (const response of [await requests.submitMalformed(), await requests.submitInvalid()]) {
      expect(response.status).toBe(400);
      expectNoInternals(response);
    }
  });

  it.each([
    ['an access-denied failure', () => awsError('AccessDeniedException'), 500],
    ['a throttling failure', () => awsError('ThrottlingException', true), 503],
    ['a plain Error', () => new Error(`connect ECONNREFUSED for ${ARN}`), 500],
  ])('when DynamoDB fails with %s: a generic problem', async (_, makeError, status) => {
    const row = await putRow({ owner: caller.owner });
    const spy = vi.spyOn(dynamodb, 'send').mockRejectedValue(makeError() as never);
    try {
      for (const response of [
        await requests.submit(),
        await requests.get(row.id),
        await requests.result(row.id),
        await requests.list(),
        await requests.cancel(row.id),
      ]) {
        expect(response.status).toBe(status);
        expect(response.headers['content-type']).toBe('application/problem+json');
        expectNoInternals(response);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('when Step Functions fails on submit and on cancel', async () => {
    const spy = vi.spyOn(sfn, 'send').mockRejectedValue(awsError('AccessDeniedException') as never);
    try {
      const submitted = await requests.submit();
      // Access denied is not transient: a 500 (misconfiguration), not a 503 a client would retry forever.
      expect(submitted.status).toBe(500);
      expectNoInternals(submitted);
      const row = await putRow({ owner: caller.owner, status: 'running' });
      const cancelled = await requests.cancel(row.id);
      expect(cancelled.status).toBeLessThan(500);
      expectNoInternals(cancelled);
    } finally {
      spy.mockRestore();
    }
  });

  it('the logs did record the failures (the capture works)', () => {
    expect(logs).toMatch(/Unhandled error|Dependency unavailable/);
    expect(logs).toContain('StartExecution failed');
    // The injected AWS messages are logged (for operators), so the capture sees the logger.
    expect(logs).toContain(ARN);
  });
});

describe('API access logs', () => {
  it('hold no request or response bodies, no API key value, no token, no claim', () => {
    for (const props of [{}, { api: { auth: { type: 'jwt', issuer: 'https://issuer.example.com', audience: 'a' } } } as const]) {
      const { template } = buildStack(props);
      const stage = Object.values((template as Template).findResources('AWS::ApiGateway::Stage'))[0]!;
      const format = stage.Properties.AccessLogSetting.Format as string;
      const fields = Object.values(JSON.parse(format) as Record<string, string>);
      expect(fields.length).toBeGreaterThan(3);
      for (const value of fields) {
        expect(value).not.toMatch(/\$input|body/i);
        expect(value).not.toMatch(/\$context\.identity\.apiKey(?!Id)/);
        // The authorizer's principal (the JWT subject, the task owner) only: no claims, no context.
        expect(value).not.toMatch(/\$context\.authorizer\.(?!principalId\b)/);
        expect(value).not.toMatch(/authorization|\$method\.request\.header/i);
      }
    }
  });

  it('carry the caller (API key id or principal), the request id, the integration latency and the error message', () => {
    const { template } = buildStack();
    const stage = Object.values((template as Template).findResources('AWS::ApiGateway::Stage'))[0]!;
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format as string) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      apiKeyId: '$context.identity.apiKeyId',
      principalId: '$context.authorizer.principalId',
      integrationLatency: '$context.integrationLatency',
      errorMessage: '$context.error.message',
      status: '$context.status',
    });
  });
});
