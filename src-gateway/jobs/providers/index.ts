import type { ProviderId } from '../../db/deployments-repository.js';
import type { JobKind } from '../../domain/media-jobs.js';
import type { JobProvider } from '../types.js';
import { azureVideoProvider } from './azure-video.js';
import { geminiVeoProvider, vertexVeoProvider } from './veo.js';
import { compatibleMusicProvider } from './compatible-music.js';
import { vertexLyriaProvider } from './lyria.js';

/**
 * The static map of job providers: which upstream runs which kind of job for each deployment provider. A deployment
 * whose provider has no entry for a kind is skipped when routing that kind, like chat deployments of unknown providers.
 */
export const JOB_PROVIDERS: readonly JobProvider[] = [azureVideoProvider, geminiVeoProvider, vertexVeoProvider, compatibleMusicProvider, vertexLyriaProvider];

/** The job provider of `provider` for `kind`, or undefined when that upstream cannot run it. */
export function jobProviderFor(provider: ProviderId, kind: JobKind): JobProvider | undefined {
  return JOB_PROVIDERS.find((p) => p.id === provider && p.kinds.includes(kind));
}
