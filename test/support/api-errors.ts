import { expect } from 'vitest';
import { APIError } from 'openai';

/** Awaits an `openai` SDK call that must fail with an `APIError` (checked with `expect`) and returns the error. */
export async function apiError(p: Promise<unknown>): Promise<APIError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

/** Runs an `openai` SDK call that must fail and returns the SDK's error; rethrows any other error. */
export async function sdkError(call: Promise<unknown>): Promise<APIError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof APIError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}
