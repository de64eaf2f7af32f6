/**
 * A local function whose handler runs in this thread: for tests of the local stack's parts, which
 * pass a handler instead of a synthesized asset. The same contract as a worker-thread function.
 */
import { randomUUID } from 'node:crypto';
import { installAwsLambdaGlobal, runStreamingHandler } from './awslambda-global.ts';
import { type InvokeOptions, type LocalLambda, type StreamingInvocation, type StreamSink, withTimeout } from './local-lambda.ts';

export interface InProcessLambdaProps {
  functionName: string;
  handler: (event: any, context: any) => unknown;
  arn?: string;
  timeoutSeconds?: number;
  memorySize?: number;
}

export function inProcessLambda(props: InProcessLambdaProps): LocalLambda {
  installAwsLambdaGlobal();
  const timeoutSeconds = props.timeoutSeconds ?? 3;
  const arn = props.arn ?? `arn:aws:lambda:us-east-1:000000000000:function:${props.functionName}`;
  const context = (options: InvokeOptions = {}) => {
    const deadline = Date.now() + timeoutSeconds * 1000;
    return {
      functionName: props.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: arn,
      memoryLimitInMB: String(props.memorySize ?? 128),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${props.functionName}`,
      logStreamName: options.logStream ?? 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => {},
      fail: () => {},
      succeed: () => {},
    };
  };
  return {
    functionName: props.functionName,
    arn,
    timeoutSeconds,
    memorySize: props.memorySize ?? 128,
    invoke: (event, options) =>
      withTimeout(
        Promise.resolve()
          .then(() => props.handler(JSON.parse(JSON.stringify(event ?? null)), context(options)))
          .then((value) => JSON.parse(JSON.stringify(value ?? null)) as unknown),
        timeoutSeconds,
      ),
    invokeStreaming: (event: unknown, sink: StreamSink, options?: InvokeOptions): StreamingInvocation =>
      runStreamingHandler(props.handler, JSON.parse(JSON.stringify(event ?? null)), context(options), sink),
  };
}
