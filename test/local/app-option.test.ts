/** `npm start -- --app <module>`: the local stack synthesizes the stack that module exports. */
import { describe, expect, it } from 'vitest';
import { synthesizeTemplate } from '../../lib/local/template.ts';
import { ENTRY_METADATA_KEY } from '../../lib/task-function.ts';

describe('synthesizeTemplate({ app })', () => {
  it("synthesizes the module's one exported Stack subclass, with its own worker function", async () => {
    const template = await synthesizeTemplate({ app: 'examples/lambda-worker/stack.ts' });
    const entries = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Metadata?.[ENTRY_METADATA_KEY]);
    expect(entries).toContain('examples/lambda-worker/worker.ts');
    expect(entries).not.toContain('lambdas/workflow/count-primes.ts');
  });

  it('refuses a module that exports no stack, naming it', async () => {
    await expect(synthesizeTemplate({ app: 'lambdas/domain/ids.ts' })).rejects.toThrow(
      'lambdas/domain/ids.ts must export one Stack subclass (or a default one); found none',
    );
  });
});
