/** AsyncTaskApi only composes the parts: its public outputs are theirs, and each part is built once. */
import { describe, expect, it } from 'vitest';
import { ExecutionBackstop } from '../../../lib/task-api/backstop.ts';
import { ApiFirewall } from '../../../lib/task-api/firewall.ts';
import { TaskHttpApi } from '../../../lib/task-api/http-api.ts';
import { TaskTable } from '../../../lib/task-api/table.ts';
import { TaskWorkflow } from '../../../lib/task-api/workflow.ts';
import { buildStack } from '../fixture.ts';

describe('AsyncTaskApi facade wiring', () => {
  const { stack } = buildStack();
  const facade = stack.api;
  const parts = facade.node.children;
  const one = <T>(type: abstract new (...args: never[]) => T): T => {
    const found = parts.filter((c) => c instanceof type);
    expect(found).toHaveLength(1);
    return found[0] as T;
  };

  it('exposes the parts’ resources as its own outputs', () => {
    expect(facade.table).toBe(one(TaskTable).table);
    expect(facade.stateMachine).toBe(one(TaskWorkflow).stateMachine);
    const http = one(TaskHttpApi);
    expect(facade.api).toBe(http.api);
    expect(facade.apiKeys).toBe(http.apiKeys);
    expect(facade.webAcl).toBe(one(ApiFirewall).webAcl);
    const backstop = one(ExecutionBackstop);
    expect(facade.reconcileRule).toBe(backstop.rule);
    expect(facade.reconcileDeadLetterQueue).toBe(backstop.deadLetterQueue);
    expect(facade.functions['reconcile-execution']).toBe(backstop.reconcileFunction);
    for (const [name, fn] of Object.entries(http.functions)) expect(facade.functions[name]).toBe(fn);
  });

  it('builds no firewall with waf: false', () => {
    const { stack: bare } = buildStack({ api: { waf: false } });
    expect(bare.api.node.children.some((c) => c instanceof ApiFirewall)).toBe(false);
    expect(bare.api.webAcl).toBeUndefined();
  });
});
