import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { DEMO_TASK_TYPES } from '../../lib/demo/task-types.ts';
import { aliasId, buildStack, functionId, functionName, stateMachineId, tableId } from './fixture.ts';

const { stack, template } = buildStack();
const functions = template.findResources('AWS::Lambda::Function');
/** Routes that name the same handler share one function (the console's page and files). */
const routeHandlers = [...new Set(ROUTES.map((r) => r.handler))];
const entries = [
  ...routeHandlers,
  'reconcile-execution',
  'sweep-tasks',
  'count-primes',
  'forward-terminal',
  'deliver-webhook',
  'publish-events',
  'expire-task',
  'await-input',
  'make-report',
  'live-connect',
  'live-subscribe',
  'live-disconnect',
];

function envOf(entry: string): Record<string, unknown> {
  return template.toJSON().Resources[functionId(template, entry)].Properties.Environment.Variables;
}

describe('functions', () => {
  it("are exactly one per route, the reconcile backstop, the sweeper, the push parts, the live channel and the demo workers; each of Longrun's names itself", () => {
    const named = Object.entries(functions).map(([id, f]) => functionName(id, f));
    expect(named.sort()).toEqual([...entries].sort());
    expect(Object.keys(stack.api.functions).sort()).toEqual(
      [
        ...routeHandlers,
        'reconcile-execution',
        'sweep-tasks',
        'forward-terminal',
        'deliver-webhook',
        'publish-events',
        'expire-task',
        'await-input',
        'live-connect',
        'live-subscribe',
        'live-disconnect',
      ].sort(),
    );
  });

  it.each(Object.entries(functions))('%s runs nodejs22.x on arm64, traced, with its own 1-month log group', (id, fn) => {
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(fn.Properties.Environment.Variables).toMatchObject({ NODE_OPTIONS: '--enable-source-maps' });
    // Longrun's own functions log and count under the deployment's name (the stack's by default); the demo's workers use the worker kit only.
    if (fn.Metadata?.['Longrun:Function']) expect(fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('Longrun');
    else expect(['count-primes', 'make-report']).toContain(functionName(id, fn));
    const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
    expect(template.toJSON().Resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
  });

  it('route functions default to 256 MB and 10 s', () => {
    const fn = template.toJSON().Resources[functionId(template, 'list-tasks')].Properties;
    expect(fn).toMatchObject({ MemorySize: 256, Timeout: 10 });
  });

  it('long-poll routes (and submit, which waits with Prefer: wait) run 28 s (25 s of wait, under the 29 s integration limit); the event stream 15 min', () => {
    const timeoutOf = (entry: string) => template.toJSON().Resources[functionId(template, entry)].Properties.Timeout;
    expect(timeoutOf('get-task')).toBe(28);
    expect(timeoutOf('get-task-result')).toBe(28);
    expect(timeoutOf('submit-task')).toBe(28);
    expect(timeoutOf('task-events')).toBe(900);
    // A stream is billed while it sleeps between re-reads: the smallest memory (bench part 6).
    expect(template.toJSON().Resources[functionId(template, 'task-events')].Properties.MemorySize).toBe(128);
    expect(timeoutOf('cancel-task')).toBe(10);
  });

  it('pass the table, retention and, to submit and cancel, the state machine', () => {
    const table = { Ref: tableId(template) };
    const sm = { Ref: stateMachineId(template) };
    // Submit starts executions through the state machine's live alias; cancel only derives execution ARNs.
    const live = { 'Fn::GetAtt': [Object.keys(template.findResources('AWS::StepFunctions::StateMachineAlias'))[0], 'Arn'] };
    for (const entry of entries.filter((e) => !e.includes('make-report'))) expect(envOf(entry)).toMatchObject({ TABLE_NAME: table });
    for (const entry of entries.filter((e) => !e.includes('count-primes') && !e.includes('make-report'))) {
      expect(envOf(entry)).toMatchObject({ TASK_RETENTION_SECONDS: String(7 * 24 * 3600) });
    }
    expect(envOf('submit-task')).toMatchObject({
      STATE_MACHINE_ARN: live,
      EXECUTION_TIMEOUT_SECONDS: '3600',
      IDEMPOTENCY_TTL_SECONDS: String(24 * 3600),
      TASK_TYPES: JSON.stringify(DEMO_TASK_TYPES),
    });
    expect(envOf('sweep-tasks')).toMatchObject({ STATE_MACHINE_ARN: live });
    expect(envOf('cancel-task')).toMatchObject({ STATE_MACHINE_ARN: sm });
    expect(envOf('cancel-task')).not.toHaveProperty('TASK_TYPES');
    expect(envOf('get-task')).not.toHaveProperty('STATE_MACHINE_ARN');
  });

  it('pass the results bucket to the result route, cancel (a purge deletes the object) and the report worker only', () => {
    const bucket = { Ref: Object.keys(template.findResources('AWS::S3::Bucket'))[0]! };
    const withBucket = entries.filter((e) => envOf(e).RESULTS_BUCKET_NAME !== undefined).sort();
    expect(withBucket).toEqual(['cancel-task', 'get-task-result', 'make-report']);
    for (const entry of withBucket) expect(envOf(entry).RESULTS_BUCKET_NAME).toEqual(bucket);
  });

  it('pass the deadline schedule group, target and role to the functions that start attempts only', () => {
    const scheduling = entries.filter((e) => envOf(e).DEADLINE_SCHEDULE_GROUP !== undefined).sort();
    expect(scheduling).toEqual(['retry-task', 'submit-task', 'sweep-tasks']);
    for (const entry of scheduling) {
      expect(envOf(entry)).toMatchObject({
        // The live alias, as every caller invokes (a gradual deploy gates the expirer too).
        DEADLINE_FUNCTION_ARN: { Ref: aliasId(template, 'expire-task') },
        DEADLINE_ROLE_ARN: { 'Fn::GetAtt': [expect.stringMatching(/SchedulerRole/), 'Arn'] },
      });
    }
  });

  it('pass the capability key of awaited input (a generated secret, by dynamic reference) to the functions that render or check it only', () => {
    const withKey = entries.filter((e) => envOf(e).INPUT_CAPABILITY_KEY !== undefined).sort();
    expect(withKey).toEqual(
      [
        'cancel-task',
        'deliver-webhook',
        'get-task',
        'get-task-result',
        'list-tasks',
        'retry-task',
        'send-input',
        'send-input-by-capability',
        'submit-task',
        'task-events',
      ].sort(),
    );
    expect(JSON.stringify(envOf('get-task').INPUT_CAPABILITY_KEY)).toContain('{{resolve:secretsmanager:');
    expect(envOf('publish-events')).not.toHaveProperty('INPUT_CAPABILITY_KEY');
  });

  it('pass the compensation state machine to the backstop and the sweeper only', () => {
    const compensation = { Ref: stateMachineId(template, 'compensation') };
    const withIt = entries.filter((e) => envOf(e).COMPENSATION_STATE_MACHINE_ARN !== undefined).sort();
    expect(withIt).toEqual(['reconcile-execution', 'sweep-tasks']);
    for (const entry of withIt) expect(envOf(entry)).toMatchObject({ COMPENSATION_STATE_MACHINE_ARN: compensation, COMPENSATE_ON: 'cancelled' });
  });
});
