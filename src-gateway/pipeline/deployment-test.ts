import type { Deployment } from '../db/deployments-repository.js';
import { providerFor } from '../providers/index.js';
import { classifyTransportError, type UpstreamClient } from '../providers/http.js';

export interface DeploymentTestResult {
  ok: boolean;
  status: number | null;
  latency_ms: number;
  error: string | null;
}

/** Makes a real, minimal call to a deployment (one output token) and reports latency or the upstream's error. */
export async function testDeployment(deployment: Deployment, secret: string | undefined, upstream: UpstreamClient): Promise<DeploymentTestResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const provider = providerFor(deployment.provider);
  if (!provider?.probe) return { ok: false, status: null, latency_ms: 0, error: `provider ${deployment.provider} is not supported yet` };
  if (!secret) return { ok: false, status: null, latency_ms: 0, error: 'the deployment has no secret in the vault' };
  try {
    const probe = provider.probe({ deployment, secret });
    const res = await upstream.send(provider.authorize ? await provider.authorize(probe, { deployment, secret }) : probe, AbortSignal.timeout(30_000));
    const text = await res.body.text();
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, latency_ms: elapsed(), error: null };
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string; code?: string } };
      message = [parsed.error?.code, parsed.error?.message].filter(Boolean).join(': ') || message;
    } catch {
      // keep the raw text
    }
    return { ok: false, status: res.status, latency_ms: elapsed(), error: `HTTP ${res.status}: ${message}` };
  } catch (err) {
    return { ok: false, status: null, latency_ms: elapsed(), error: `${classifyTransportError(err)} error: ${(err as Error).message}` };
  }
}
