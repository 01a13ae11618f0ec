import { describe, expect, it } from 'vitest';
import { familyOf, mapReasoningEffort, parseFamilyTable, type RawFamilyTable } from '../../../src-gateway/domain/reasoning.js';
// The shipped table, not a copy: these tests guard the contract (API.md §5) as the table actually states it.
import families from '../../../resources/model-families.json' with { type: 'json' };

const table = parseFamilyTable(families as RawFamilyTable);
const SCALE = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;

/** What `model` sends upstream for every effort on the scale. */
const mappedScale = (model: string) => Object.fromEntries(SCALE.map((effort) => [effort, mapReasoningEffort(model, effort, table)]));

describe('reasoning_effort per model family (resources/model-families.json)', () => {
  it('uses the effort scale of the contract', () => {
    expect(table.scale).toEqual(SCALE);
  });

  describe('original gpt-5: minimal, low, medium, high', () => {
    it.each(['gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'GPT-5'])('%s keeps what it accepts and moves the rest to the nearest value', (model) => {
      expect(familyOf(model, table)?.family).toBe('gpt-5');
      expect(mappedScale(model)).toEqual({ none: 'minimal', minimal: 'minimal', low: 'low', medium: 'medium', high: 'high', xhigh: 'high' });
    });
  });

  describe('gpt-5.1: none, low, medium, high', () => {
    it.each(['gpt-5.1', 'gpt-5.1-codex', 'gpt-5.1-mini'])('%s', (model) => {
      expect(familyOf(model, table)?.family).toBe('gpt-5.1');
      expect(mappedScale(model)).toEqual({ none: 'none', minimal: 'none', low: 'low', medium: 'medium', high: 'high', xhigh: 'high' });
    });

    it('breaks the minimal tie (none and low are equally near) towards the lower effort', () => {
      expect(mapReasoningEffort('gpt-5.1', 'minimal', table)).toBe('none');
    });
  });

  describe('gpt-5.4, gpt-5.5 and newer: none … xhigh', () => {
    it.each(['gpt-5.4', 'gpt-5.5', 'gpt-5.5-mini', 'gpt-5.9', 'gpt-5.10', 'gpt-5.12-codex'])('%s', (model) => {
      expect(familyOf(model, table)?.reasoningEfforts).toEqual(['none', 'low', 'medium', 'high', 'xhigh']);
      expect(mappedScale(model)).toEqual({ none: 'none', minimal: 'none', low: 'low', medium: 'medium', high: 'high', xhigh: 'xhigh' });
    });

    it('does not mistake gpt-5.10 for gpt-5.1', () => {
      expect(familyOf('gpt-5.10', table)?.family).toBe('gpt-5.4+');
      expect(mapReasoningEffort('gpt-5.10', 'xhigh', table)).toBe('xhigh');
    });
  });

  describe('gpt-5-pro: high only', () => {
    it.each(['gpt-5-pro', 'gpt-5.1-pro', 'gpt-5.5-pro'])('%s sends high whatever was asked', (model) => {
      expect(familyOf(model, table)?.family).toBe('gpt-5-pro');
      expect(mappedScale(model)).toEqual({ none: 'high', minimal: 'high', low: 'high', medium: 'high', high: 'high', xhigh: 'high' });
    });
  });

  describe('families that take no reasoning_effort', () => {
    it.each(['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-35-turbo', 'gpt-5-chat', 'gpt-5.1-chat-latest'])('%s drops the field', (model) => {
      for (const effort of SCALE) expect(mapReasoningEffort(model, effort, table), effort).toBeUndefined();
    });
  });

  it('o-series models keep low/medium/high', () => {
    expect(mapReasoningEffort('o3-mini', 'minimal', table)).toBe('low');
    expect(mapReasoningEffort('o4-mini', 'xhigh', table)).toBe('high');
  });

  it('passes reasoning_effort through unchanged for a model of no known family', () => {
    for (const effort of [...SCALE, 'turbo']) expect(mapReasoningEffort('my-finetune', effort, table)).toBe(effort);
    expect(familyOf('my-finetune', table)).toBeUndefined();
  });

  it('passes a value that is not on the scale through unchanged, so new upstream values keep working', () => {
    expect(mapReasoningEffort('gpt-5', 'ultra', table)).toBe('ultra');
  });

  it('leaves the field out when the client did not send one', () => {
    for (const model of ['gpt-5', 'gpt-5.1', 'gpt-5.5', 'gpt-5-pro', 'gpt-4o', 'my-finetune']) {
      expect(mapReasoningEffort(model, undefined, table)).toBeUndefined();
    }
  });

  it('takes the first family whose pattern matches', () => {
    const custom = parseFamilyTable({
      effort_scale: [...SCALE],
      families: [
        { family: 'first', pattern: '^x', reasoning_efforts: ['low'] },
        { family: 'second', pattern: '^x', reasoning_efforts: ['high'] },
      ],
    });
    expect(mapReasoningEffort('x-1', 'xhigh', custom)).toBe('low');
  });

  describe('the output limit field', () => {
    it.each(['gpt-5', 'gpt-5-mini', 'gpt-5.1', 'gpt-5.2', 'gpt-5.5', 'gpt-5-pro', 'gpt-5-chat', 'o3', 'o4-mini'])('%s takes max_completion_tokens, not max_tokens', (model) => {
      expect(familyOf(model, table)?.maxTokensField).toBe('max_completion_tokens');
    });

    it.each(['gpt-4o', 'gpt-4.1-mini', 'gpt-35-turbo'])('%s keeps max_tokens', (model) => {
      expect(familyOf(model, table)?.maxTokensField).toBeUndefined();
    });

    it('refuses a field it does not know', () => {
      const raw: RawFamilyTable = { effort_scale: ['low'], families: [{ family: 'x', pattern: '^x', reasoning_efforts: null, max_tokens_field: 'max_output_tokens' }] };
      expect(() => parseFamilyTable(raw)).toThrow(/max_tokens_field/);
    });
  });
});
