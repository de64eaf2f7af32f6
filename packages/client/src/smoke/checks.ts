/**
 * The smoke checks, in order. Each is one row of the table; later checks use what earlier ones
 * found (the primes task, the cancelled task) through `SmokeContext`. Assumptions, so that the
 * checks hold on every deployment of the contract:
 * - `Location` and `links` may be relative or absolute: they are followed, never rebuilt.
 * - A poll may answer 200 (the task) or 202 (the result monitor); cancel may answer 200 or 202.
 * - The demo task types (`primes`, `fail`, `sleep`) are needed by the rows that use them; a
 *   deployment whose OpenAPI document does not list one skips those rows.
 */
import { type Answer, assert, expectProblem, freshTaskId, type Probe } from './probe.ts';

export interface SmokeContext {
  /** Task types listed by the OpenAPI document (undefined: unknown, assume all). */
  taskTypes?: Set<string>;
  /** Task URLs to cancel if the run stops early (best effort). */
  openTasks: Set<string>;
  // biome-ignore lint/suspicious/noExplicitAny: a task as the deployment under test answered it
  primes?: { location: string; task: any };
  // biome-ignore lint/suspicious/noExplicitAny: a task as the deployment under test answered it
  cancelled?: { location: string; task: any };
}

export interface Check {
  name: string;
  /** Task types the check submits. */
  needs?: string[];
  /** Checks whose success this one builds on. */
  after?: string;
  /** Runs the check; its resolved text is the row's detail. */
  run(probe: Probe, ctx: SmokeContext): Promise<string>;
}

const PRIMES_UP_TO = 100_000;
const PRIMES_COUNT = 9_592; // π(100 000)

/** An unexpected answer in a few words: status, and the problem's title and detail if any. */
function describe(answer: Answer): string {
  const problem = answer.body as { title?: unknown; detail?: unknown } | undefined;
  if (typeof problem?.title === 'string') return `${answer.status} ${problem.title}: ${String(problem.detail ?? '')}`;
  return `${answer.status} ${answer.text.slice(0, 120)}`;
}

function taskUrl(answer: Answer): string {
  // Operation-Location (Azure-style) if the deployment sends it, else Location.
  const location = answer.headers.get('operation-location') ?? answer.headers.get('location');
  assert(location, `${answer.status} without a Location header`);
  return location;
}

/** `replay`: an Idempotency-Key seen before answers the task as it is now, perhaps finished. */
async function submit(probe: Probe, body: unknown, headers?: Record<string, string>, replay = false): Promise<Answer> {
  const answer = await probe.request('POST', 'tasks', { body, headers });
  assert(answer.status === 202, `submit answered ${describe(answer)}`);
  assert(typeof answer.body?.id === 'string', 'submit answered no task id');
  assert(replay || ['pending', 'running'].includes(answer.body.status), `a new task is ${answer.body.status}`);
  // A replay answers the task as it is now: once it is finished there is nothing to poll for.
  if (['pending', 'running'].includes(answer.body.status)) assert(answer.headers.get('retry-after'), 'submit answered no Retry-After');
  return answer;
}

export const CHECKS: readonly Check[] = [
  {
    name: 'OpenAPI document is public',
    async run(probe, ctx) {
      const answer = await probe.request('GET', 'openapi.json', { auth: false });
      assert(answer.status === 200, `GET /openapi.json answered ${answer.status}`);
      assert(typeof answer.body?.openapi === 'string', 'GET /openapi.json is not an OpenAPI document');
      const schemas = Object.keys(answer.body.components?.schemas ?? {});
      const types = schemas.filter((s) => s.startsWith('Submit_')).map((s) => s.slice('Submit_'.length));
      if (types.length > 0) ctx.taskTypes = new Set(types);
      return `OpenAPI ${answer.body.openapi}; task types: ${types.join(', ') || '(not listed)'}`;
    },
  },
  {
    name: '401 without credentials',
    async run(probe) {
      expectProblem(await probe.request('POST', 'tasks', { body: { type: 'primes', input: { upTo: 10 } }, auth: false }), 401, 'POST /tasks');
      expectProblem(await probe.request('GET', `tasks/${freshTaskId()}`, { auth: false }), 401, 'GET /tasks/{id}');
      return 'POST and GET refused, problem+json';
    },
  },
  {
    name: '400 for an invalid submit',
    async run(probe) {
      const answer = await probe.request('POST', 'tasks', { body: { type: 42, input: [] } });
      expectProblem(answer, 400, 'POST /tasks with a bad body');
      return answer.body.detail;
    },
  },
  {
    name: 'submit primes: 202 + Location',
    needs: ['primes'],
    async run(probe, ctx) {
      const answer = await submit(probe, { type: 'primes', input: { upTo: PRIMES_UP_TO } });
      ctx.primes = { location: taskUrl(answer), task: answer.body };
      ctx.openTasks.add(ctx.primes.location);
      return `${answer.body.id} ${answer.body.status}`;
    },
  },
  {
    name: 'poll primes until succeeded',
    needs: ['primes'],
    after: 'submit primes: 202 + Location',
    async run(probe, ctx) {
      const { body } = await probe.untilTerminal(ctx.primes!.location);
      ctx.openTasks.delete(ctx.primes!.location);
      ctx.primes!.task = body;
      assert(body.status === 'succeeded', `ended ${body.status}: ${body.error?.detail ?? ''}`);
      assert(body.progress?.percent === 100, `succeeded with progress ${body.progress?.percent}`);
      return `succeeded, progress 100`;
    },
  },
  {
    name: 'result of primes',
    needs: ['primes'],
    after: 'poll primes until succeeded',
    async run(probe, ctx) {
      const link = ctx.primes!.task.links?.result as string | undefined;
      assert(link, 'the task has no links.result');
      const answer = await probe.request('GET', link);
      assert(answer.status === 200, `GET result answered ${answer.status}`);
      assert(answer.body?.count === PRIMES_COUNT, `result ${answer.text.slice(0, 100)}, expected { count: ${PRIMES_COUNT} }`);
      return `{ count: ${PRIMES_COUNT} }`;
    },
  },
  {
    name: 'ETag: If-None-Match answers 304',
    needs: ['primes'],
    after: 'poll primes until succeeded',
    async run(probe, ctx) {
      const first = await probe.request('GET', ctx.primes!.location);
      const etag = first.headers.get('etag');
      assert(first.status === 200 && etag, `GET the task answered ${first.status} ${etag ? '' : 'without an ETag'}`);
      const again = await probe.request('GET', ctx.primes!.location, { headers: { 'if-none-match': etag } });
      assert(again.status === 304, `GET with If-None-Match: ${etag} answered ${again.status}`);
      return `${etag} -> 304`;
    },
  },
  {
    name: 'fail: failed with its message',
    needs: ['fail'],
    async run(probe, ctx) {
      const message = `smoke test failure ${freshTaskId().slice(-12)}`;
      const submitted = await submit(probe, { type: 'fail', input: { message } });
      const location = taskUrl(submitted);
      ctx.openTasks.add(location);
      const { body } = await probe.untilTerminal(location);
      ctx.openTasks.delete(location);
      assert(body.status === 'failed', `ended ${body.status}`);
      assert(body.error?.detail === message, `error.detail ${JSON.stringify(body.error?.detail)}, expected the message`);
      const result = await probe.request('GET', body.links.result);
      expectProblem(result, 409, 'GET result of a failed task');
      return 'failed; its result answers 409 problem+json';
    },
  },
  {
    name: 'cancel a running task',
    needs: ['sleep'],
    async run(probe, ctx) {
      const submitted = await submit(probe, { type: 'sleep', input: { seconds: 300 } });
      const location = taskUrl(submitted);
      ctx.openTasks.add(location);
      const cancel = await probe.request('DELETE', submitted.body.links?.cancel ?? location);
      assert(cancel.status === 200 || cancel.status === 202, `DELETE answered ${describe(cancel)}`);
      const { body } = cancel.status === 200 ? cancel : await probe.untilTerminal(location);
      assert(body.status === 'cancelled', `after DELETE the task is ${body.status}`);
      ctx.openTasks.delete(location);
      ctx.cancelled = { location, task: body };
      return `DELETE answered ${cancel.status}; cancelled`;
    },
  },
  {
    name: 'cancel again: 200, idempotent',
    needs: ['sleep'],
    after: 'cancel a running task',
    async run(probe, ctx) {
      const again = await probe.request('DELETE', ctx.cancelled!.task.links?.cancel ?? ctx.cancelled!.location);
      assert(again.status === 200, `second DELETE answered ${again.status}`);
      assert(again.body?.status === 'cancelled', `second DELETE shows ${again.body?.status}`);
      const result = await probe.request('GET', again.body.links.result);
      expectProblem(result, 409, 'GET result of a cancelled task');
      return 'same cancelled task; its result answers 409';
    },
  },
  {
    name: 'Idempotency-Key replay: same task',
    needs: ['primes'],
    async run(probe, ctx) {
      const key = `smoke-${freshTaskId()}`;
      const body = { type: 'primes', input: { upTo: 1_000 } };
      const first = await submit(probe, body, { 'idempotency-key': key });
      ctx.openTasks.add(taskUrl(first));
      const second = await submit(probe, body, { 'idempotency-key': key }, true);
      assert(second.body.id === first.body.id, `the replay created another task (${second.body.id})`);
      assert(taskUrl(second) === taskUrl(first), 'the replay answered another Location');
      const changed = await probe.request('POST', 'tasks', { body: { ...body, input: { upTo: 2_000 } }, headers: { 'idempotency-key': key } });
      expectProblem(changed, 422, 'same Idempotency-Key, different body');
      await probe.untilTerminal(taskUrl(first));
      ctx.openTasks.delete(taskUrl(first));
      return 'same id and Location; a different body answers 422';
    },
  },
  {
    name: 'retry the cancelled task: attempt 2, in its history',
    needs: ['sleep'],
    after: 'cancel a running task',
    async run(probe, ctx) {
      const retried = await probe.request('POST', `${ctx.cancelled!.location}/retry`);
      assert(retried.status === 202, `POST …/retry answered ${describe(retried)}`);
      assert(
        retried.body?.attempt === 2 && retried.body?.status === 'pending',
        `after the retry the task is ${retried.body?.status}, attempt ${retried.body?.attempt}`,
      );
      ctx.openTasks.add(ctx.cancelled!.location);
      const cancel = await probe.request('DELETE', ctx.cancelled!.location);
      assert(cancel.status === 200 || cancel.status === 202, `DELETE of the retry answered ${describe(cancel)}`);
      ctx.openTasks.delete(ctx.cancelled!.location);
      const history = await probe.request('GET', `${ctx.cancelled!.location}/history`);
      assert(history.status === 200, `GET …/history answered ${describe(history)}`);
      const events = ((history.body?.items ?? []) as Array<{ event: string }>).map((e) => e.event);
      assert(events.includes('retried') && events.includes('cancelled'), `history: ${events.join(', ')}`);
      return `202, attempt 2; history: ${events.join(', ')}`;
    },
  },
  {
    name: 'purge the cancelled task: 204, then 410',
    needs: ['sleep'],
    after: 'cancel a running task',
    async run(probe, ctx) {
      const purged = await probe.request('DELETE', `${ctx.cancelled!.location}?purge=true`);
      assert(purged.status === 204, `DELETE …?purge=true answered ${describe(purged)}`);
      expectProblem(await probe.request('GET', ctx.cancelled!.location), 410, 'GET a purged task');
      return '204; GET answers 410';
    },
  },
  {
    name: 'Prefer: wait on submit: a quick task answered 200 with its result',
    needs: ['primes'],
    async run(probe) {
      const answer = await probe.request('POST', 'tasks', { body: { type: 'primes', input: { upTo: 1_000 } }, headers: { prefer: 'wait=20' } });
      assert(answer.status === 200, `POST /tasks with Prefer: wait=20 answered ${describe(answer)}`);
      assert(answer.headers.get('preference-applied') === 'wait=20', 'no Preference-Applied: wait=20');
      assert(answer.body?.result?.count === 168, `result ${JSON.stringify(answer.body?.result)}, expected { count: 168 }`);
      return '200, Preference-Applied, result inline';
    },
  },
  {
    name: 'metadata: a filtered listing finds the tagged task',
    needs: ['fail'],
    async run(probe, ctx) {
      const tag = `smoke-${freshTaskId().slice(-12)}`;
      const submitted = await submit(probe, { type: 'fail', input: { message: 'tagged' }, metadata: { smoke: tag } });
      ctx.openTasks.add(taskUrl(submitted));
      const page = await probe.request('GET', `tasks?metadata.smoke=${tag}&type=fail`);
      assert(page.status === 200, `GET /tasks?metadata.smoke=… answered ${describe(page)}`);
      const ids = ((page.body?.items ?? []) as Array<{ id: string }>).map((t) => t.id);
      assert(ids.length === 1 && ids[0] === submitted.body.id, `the filter found ${ids.length} tasks`);
      await probe.untilTerminal(taskUrl(submitted));
      ctx.openTasks.delete(taskUrl(submitted));
      return 'exactly the tagged task';
    },
  },
  {
    name: '400 naming a malformed Cancel-After or metadata',
    async run(probe, ctx) {
      const type = ctx.taskTypes ? [...ctx.taskTypes][0]! : 'primes';
      const header = await probe.request('POST', 'tasks', { body: { type, input: {} }, headers: { 'cancel-after': 'soon' } });
      expectProblem(header, 400, 'POST /tasks with Cancel-After: soon');
      assert(header.body?.errors?.[0]?.pointer === 'Cancel-After', 'the problem does not name Cancel-After');
      const metadata = await probe.request('POST', 'tasks', { body: { type, input: {}, metadata: { 'bad key': 'x' } } });
      expectProblem(metadata, 400, 'POST /tasks with bad metadata');
      const pointers = ((metadata.body?.errors ?? []) as Array<{ pointer: string }>).map((e) => e.pointer);
      assert(
        pointers.some((p) => p.startsWith('/metadata')),
        `the problem names ${pointers.join(', ')}, not /metadata`,
      );
      return 'each names what is wrong';
    },
  },
  {
    name: '404 for an unknown task',
    async run(probe) {
      const id = freshTaskId();
      expectProblem(await probe.request('GET', `tasks/${id}`), 404, 'GET /tasks/{unknown}');
      expectProblem(await probe.request('DELETE', `tasks/${id}`), 404, 'DELETE /tasks/{unknown}');
      expectProblem(await probe.request('GET', `tasks/${id}/history`), 404, 'GET /tasks/{unknown}/history');
      expectProblem(await probe.request('POST', `tasks/${id}/retry`), 404, 'POST /tasks/{unknown}/retry');
      expectProblem(await probe.request('POST', `tasks/${id}/input`, { body: {} }), 404, 'POST /tasks/{unknown}/input');
      expectProblem(
        await probe.request('POST', `tasks/${id}/input/${'A'.repeat(43)}`, { body: {}, auth: false }),
        404,
        'POST a forged capability URL',
      );
      return 'GET, DELETE, history, retry, input and a forged capability URL, problem+json';
    },
  },
];
