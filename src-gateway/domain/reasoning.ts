/**
 * Maps a client's `reasoning_effort` to what the model family accepts: the nearest supported value on the effort scale,
 * ties going to the lower effort (the cheaper, faster answer the client leaned towards).
 */

export interface FamilyRule {
  family: string;
  pattern: RegExp;
  /** Accepted efforts, or null when the family takes no reasoning_effort at all. */
  reasoningEfforts: readonly string[] | null;
  /** The name the family takes the output limit under, when it refuses the deprecated `max_tokens`. */
  maxTokensField?: 'max_completion_tokens';
}

export interface FamilyTable {
  scale: readonly string[];
  families: readonly FamilyRule[];
}

export interface RawFamilyTable {
  effort_scale: string[];
  families: { family: string; pattern: string; reasoning_efforts: string[] | null; max_tokens_field?: string }[];
}

export function parseFamilyTable(raw: RawFamilyTable): FamilyTable {
  return {
    scale: raw.effort_scale,
    families: raw.families.map((f) => {
      if (f.max_tokens_field !== undefined && f.max_tokens_field !== 'max_completion_tokens') {
        throw new Error(`model family ${f.family}: max_tokens_field must be max_completion_tokens, got ${f.max_tokens_field}`);
      }
      return { family: f.family, pattern: new RegExp(f.pattern, 'i'), reasoningEfforts: f.reasoning_efforts, ...(f.max_tokens_field ? { maxTokensField: f.max_tokens_field } : {}) };
    }),
  };
}

export function familyOf(model: string, table: FamilyTable): FamilyRule | undefined {
  return table.families.find((f) => f.pattern.test(model));
}

/**
 * The effort to send upstream for `model`: `undefined` means "omit the field". Unknown families and values not on the
 * scale pass through unchanged, so new upstream values keep working.
 */
export function mapReasoningEffort(model: string, requested: string | undefined, table: FamilyTable): string | undefined {
  if (requested === undefined) return undefined;
  const family = familyOf(model, table);
  if (!family) return requested;
  if (family.reasoningEfforts === null) return undefined;
  if (family.reasoningEfforts.includes(requested)) return requested;
  const wanted = table.scale.indexOf(requested);
  if (wanted < 0) return requested;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const effort of family.reasoningEfforts) {
    const distance = Math.abs(table.scale.indexOf(effort) - wanted);
    if (distance < bestDistance) {
      best = effort;
      bestDistance = distance;
    }
  }
  return best;
}
