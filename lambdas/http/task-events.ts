// GET /tasks/{id}/events (response streaming) --> findOwnTask, then streamTask --> owner index probes, task store (GetItem, strongly consistent) on a change
// Authentication, 404 and 410 are answered as problem details before the stream starts.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { config } from '#config';
import { problems } from '#domain/errors';
import { WATCHED_ATTRIBUTES } from '#domain/representation';
import { problemResponse, toProblem } from '#http/problem-details';
import { parseRequest } from '#http/request';
import { commonHeaders } from '#http/response';
import { logger } from '#observability/logger';
import { findOwnTask } from '#service/find-task';
import { holdConnection } from '#service/held-connections';
import { alreadyComplete, parseLastEventId, streamTask } from '#sse/event-stream';
import { MAX_STREAM_MS } from '#sse/timing';

/** Kept back from the function's timeout, so the stream ends cleanly rather than being cut. */
const MARGIN_MS = 5_000;
/** When a caller refused a stream (its own cap, or all streams in use) may try again. */
const HELD_RETRY_AFTER_SECONDS = 5;

/** A whole answer: written, then ended (the runtime sends the prelude on the first write, which `end(body)` may skip). */
function send(stream: NodeJS.WritableStream, body: string): void {
  stream.write(body);
  stream.end();
}

export const handler = awslambda.streamifyResponse(async (event: APIGatewayProxyEvent, responseStream, context) => {
  const started = Date.now();
  const origin = event.headers?.origin ?? event.headers?.Origin;
  const answer = (statusCode: number, headers: Record<string, string>) => awslambda.HttpResponseStream.from(responseStream, { statusCode, headers });
  let request: ReturnType<typeof parseRequest>;
  let task: Awaited<ReturnType<typeof findOwnTask>>;
  try {
    request = parseRequest(event);
    task = await findOwnTask(request.owners, request.pathParameters.id ?? '', { consistent: true, attributes: WATCHED_ATTRIBUTES });
  } catch (error) {
    const problem = problemResponse(toProblem(error), event.requestContext?.path ?? event.path ?? '', origin);
    send(answer(problem.statusCode, problem.headers as Record<string, string>), problem.body);
    return;
  }
  const lastEventId = parseLastEventId(request.headers['last-event-id']);
  if (alreadyComplete(task, lastEventId)) {
    send(answer(204, commonHeaders(origin)), '');
    return;
  }

  const until = Math.min(started + MAX_STREAM_MS, started + context.getRemainingTimeInMillis() - MARGIN_MS);
  // At most so many open streams per caller, and per function: the next one is refused before it starts.
  let hold: Awaited<ReturnType<typeof holdConnection>>;
  try {
    hold = await holdConnection(request.owner, Math.ceil((until - Date.now()) / 1000) + MARGIN_MS / 1000);
    if (hold === 'caller') throw problems.tooManyHeldConnections(config.heldPerCaller, HELD_RETRY_AFTER_SECONDS);
    if (hold === 'capacity') throw problems.unavailable(HELD_RETRY_AFTER_SECONDS);
  } catch (error) {
    const problem = problemResponse(toProblem(error), event.requestContext?.path ?? event.path ?? '', origin);
    send(answer(problem.statusCode, problem.headers as Record<string, string>), problem.body);
    return;
  }

  const stream = answer(200, { ...commonHeaders(origin), 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
  // The client went away: stop reading the table for it.
  const gone = new AbortController();
  stream.on('close', () => gone.abort());
  stream.on('error', () => gone.abort());
  try {
    await streamTask(task, {
      baseUrl: request.baseUrl,
      retentionSeconds: config.retentionSeconds,
      render: { inputCapabilityKey: config.inputCapabilityKey },
      lastEventId,
      until,
      signal: gone.signal,
      write: (chunk) => {
        if (!gone.signal.aborted) stream.write(chunk);
      },
    });
  } catch (error) {
    // Headers are gone already: end the stream; the client reconnects and gets a proper answer.
    logger.error('Event stream ended by an error', { taskId: task.id, error: error as Error });
  } finally {
    await hold.release();
  }
  if (!gone.signal.aborted) stream.end();
});
