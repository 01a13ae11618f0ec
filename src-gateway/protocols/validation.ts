import type { z } from 'zod';
import { gatewayError } from '../errors.js';

/** A zod issue path as OpenAI names parameters: `messages[0].content`. */
export function paramPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/** Validates a body with zod, or throws `invalid_request` naming the first offending field in `param`. */
export function parseOrInvalid<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = paramPath(issue.path);
    throw gatewayError('invalid_request', `Invalid '${param || 'body'}': ${issue.message}.`, { param: param || null });
  }
  return result.data;
}
