/**
 * The handlers' SDK clients give up on a hung socket instead of waiting for the Lambda timeout:
 * against a server that accepts connections and never answers, a call fails with a timeout after
 * its attempts. (No duration is asserted; the bound is the request timeout in #clients/timeouts.)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';

let server: Server;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${port}`;
  process.env.AWS_ENDPOINT_URL_SFN = `http://127.0.0.1:${port}`;
  process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:hung';
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

it.each([
  [
    'DynamoDB',
    async () => {
      const { dynamodb } = await import('#clients/dynamodb');
      const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
      return dynamodb.send(new GetCommand({ TableName: 'hung', Key: { id: 'x' } }));
    },
  ],
  [
    'Step Functions',
    async () => {
      const { sfn } = await import('#clients/sfn');
      const { DescribeExecutionCommand } = await import('@aws-sdk/client-sfn');
      return sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:hung:x' }));
    },
  ],
])(
  '%s: a hung socket ends in a timeout error after 3 attempts',
  async (_, call) => {
    const error = (await call().then(
      () => undefined,
      (e: unknown) => e,
    )) as { name?: string; $metadata?: { attempts?: number } } | undefined;
    expect(error?.name).toMatch(/Timeout/);
    expect(error?.$metadata?.attempts).toBe(3);
  },
  60_000,
);
