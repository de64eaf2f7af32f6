import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { baseUrlOf } from '#http/base-url';

/** A REST proxy event reduced to the fields the rule reads, shaped as API Gateway sends them. */
function event(fields: {
  host?: string;
  domainName?: string;
  stage: string;
  resource: string;
  path: string;
  requestPath: string;
  proto?: string;
}): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  if (fields.host) headers.Host = fields.host;
  if (fields.proto) headers['X-Forwarded-Proto'] = fields.proto;
  return {
    resource: fields.resource,
    path: fields.path,
    headers,
    requestContext: { stage: fields.stage, path: fields.requestPath, ...(fields.domainName && { domainName: fields.domainName }) },
  } as unknown as APIGatewayProxyEvent;
}

const ID = '019b7b28-6c00-7000-8000-000000000001';

describe('absolute base URL from the request', () => {
  it('execute-api host: the stage is the prefix (event.path omits it, requestContext.path has it)', () => {
    const url = baseUrlOf(
      event({
        host: 'abc123.execute-api.eu-west-1.amazonaws.com',
        domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
        proto: 'https',
        stage: 'v1',
        resource: '/tasks/{id}',
        path: `/tasks/${ID}`,
        requestPath: `/v1/tasks/${ID}`,
      }),
    );
    expect(url).toEqual({ origin: 'https://abc123.execute-api.eu-west-1.amazonaws.com', basePath: '/v1' });
  });

  it('custom domain with a base path mapping: the base path is the prefix, never the stage', () => {
    const url = baseUrlOf(
      event({
        host: 'api.example.com',
        domainName: 'api.example.com',
        proto: 'https',
        stage: 'v1',
        resource: '/tasks',
        path: '/longrun/tasks',
        requestPath: '/longrun/tasks',
      }),
    );
    expect(url).toEqual({ origin: 'https://api.example.com', basePath: '/longrun' });
  });

  it('custom domain with a nested base path and a trailing slash', () => {
    const url = baseUrlOf(
      event({
        domainName: 'api.example.com',
        stage: 'prod',
        resource: '/tasks/{id}/result',
        path: `/teams/a/tasks/${ID}/result/`,
        requestPath: `/teams/a/tasks/${ID}/result/`,
      }),
    );
    expect(url).toEqual({ origin: 'https://api.example.com', basePath: '/teams/a' });
  });

  it('custom domain mapped at its root: no prefix', () => {
    const url = baseUrlOf(
      event({ domainName: 'tasks.example.com', stage: 'v1', resource: '/tasks/{id}', path: `/tasks/${ID}`, requestPath: `/tasks/${ID}` }),
    );
    expect(url).toEqual({ origin: 'https://tasks.example.com', basePath: '' });
  });

  it('the local front: http and a port, from Host, with the stage as on execute-api', () => {
    const url = baseUrlOf(
      event({
        host: '127.0.0.1:3000',
        domainName: '127.0.0.1:3000',
        proto: 'http',
        stage: 'v1',
        resource: '/tasks',
        path: '/tasks',
        requestPath: '/v1/tasks',
      }),
    );
    expect(url).toEqual({ origin: 'http://127.0.0.1:3000', basePath: '/v1' });
  });

  it('prefers requestContext.domainName (set by API Gateway) over a Host header, and refuses a host that could break a URL', () => {
    expect(
      baseUrlOf(
        event({ host: 'evil.example', domainName: 'api.example.com', stage: 'v1', resource: '/tasks', path: '/tasks', requestPath: '/v1/tasks' }),
      ).origin,
    ).toBe('https://api.example.com');
    for (const bad of ['evil.example/@x', 'a b', 'x"y', 'host\r\nSet-Cookie: a']) {
      expect(baseUrlOf(event({ host: bad, stage: 'v1', resource: '/tasks', path: '/tasks', requestPath: '/v1/tasks' })).origin).toBe('');
    }
  });

  it('defaults to https; only http or https are taken from X-Forwarded-Proto', () => {
    const base = { domainName: 'api.example.com', stage: 'v1', resource: '/tasks', path: '/tasks', requestPath: '/v1/tasks' };
    expect(baseUrlOf(event(base)).origin).toBe('https://api.example.com');
    expect(baseUrlOf(event({ ...base, proto: 'javascript' })).origin).toBe('https://api.example.com');
    expect(baseUrlOf(event({ ...base, proto: 'http, https' })).origin).toBe('http://api.example.com');
  });
});
