import families from '../resources/model-families.json' with { type: 'json' };
import { parseFamilyTable, type RawFamilyTable } from './domain/reasoning.js';

/** The shipped request-shaping table per model family (`resources/model-families.json`), parsed once. */
export const MODEL_FAMILIES = parseFamilyTable(families as RawFamilyTable);
