/**
 * The demo stack's synthesized template as @longrun/local reads it: the stream mappings with the
 * domain's filters, the queue mapping and the redrive.
 */
import { describe, expect, it } from 'vitest';
import { publisherFilters, webhookFilters } from '#domain/stream-filters';
import { findEventSourceMappings, findQueues } from '../../packages/local/src/event-sources.ts';
import { localValues } from '../../packages/local/src/template.ts';
import { demoTemplate } from '../infra/fixture.ts';

describe('the synthesized template, as the local stack reads it', () => {
  it('finds the two stream mappings with the domain filters, the queue mapping, and the redrive', async () => {
    const template = demoTemplate();
    const values = localValues(template);
    const mappings = findEventSourceMappings(template, values);
    const byName = (name: string) => mappings.find((m) => template.Resources[m.functionLogicalId]?.Metadata?.['Longrun:Function'] === name)!;
    expect(byName('forward-terminal')).toMatchObject({
      filters: webhookFilters(),
      reportBatchItemFailures: true,
      batchSize: 100,
    });
    expect(byName('publish-events')).toMatchObject({ filters: publisherFilters(), reportBatchItemFailures: true });
    const delivery = byName('deliver-webhook');
    expect(delivery).toMatchObject({ filters: [], reportBatchItemFailures: true, batchSize: 10 });
    const queue = findQueues(template, values).find((q) => q.logicalId === delivery.sourceLogicalId)!;
    expect(queue.visibilityTimeoutSeconds).toBe(180);
    expect(queue.redrive?.deadLetterLogicalId).toMatch(/WebhooksDeadLetterQueue/);
  }, 120_000);
});
