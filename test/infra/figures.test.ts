/** The figures docs/deploy.md quotes are the synthesized template's (scripts/figures.ts). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { committedFigures, DEPLOY_DOC, figures, renderFigures } from '../../scripts/figures.ts';
import { buildStack } from './fixture.ts';

describe('docs/deploy.md figures', () => {
  const rows = figures(buildStack().template);

  it("are the template's (regenerate with `npx tsx scripts/figures.ts`)", () => {
    expect(committedFigures(readFileSync(DEPLOY_DOC, 'utf8'))).toBe(renderFigures(rows));
  });

  it('count what the template has: a change to it shows', () => {
    const value = (label: string) => rows.find(([l]) => l.startsWith(label))?.[1];
    expect(value('WAF rules')).toBe('7');
    expect(value('SNS topics')).toBe('2');
    const smaller = figures(buildStack({ api: { waf: false, reservedConcurrency: false } }).template);
    expect(smaller.find(([l]) => l === 'WAF rules')?.[1]).toBe('0');
    expect(smaller.find(([l]) => l.startsWith('Copies that fit'))?.[1]).toBe('∞');
  });
});
