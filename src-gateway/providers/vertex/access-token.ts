import { createHash } from 'node:crypto';
import { JWT } from 'google-auth-library';

/**
 * OAuth access tokens for Vertex AI, minted from a service-account key (the deployment's secret is the key's JSON).
 * google-auth-library signs the JWT-bearer assertion, caches the token and refreshes it before it expires; this module
 * keeps one client per deployment and secret so that cache survives across calls.
 */

/** Vertex AI needs the cloud-platform scope. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** The token endpoint google-auth-library posts to; service-account keys name theirs in `token_uri`. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Clients kept; a gateway has a handful of Vertex deployments, so this only bounds rotated secrets. */
const MAX_CLIENTS = 32;

export interface ServiceAccount {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
  token_uri?: string;
}

/** Reads a service-account key JSON; undefined when the secret is not one. */
export function parseServiceAccount(secret: string): ServiceAccount | undefined {
  try {
    const parsed = JSON.parse(secret) as Partial<ServiceAccount> & { type?: string };
    if (typeof parsed?.client_email === 'string' && typeof parsed.private_key === 'string') return parsed as ServiceAccount;
  } catch {
    // not JSON
  }
  return undefined;
}

const clients = new Map<string, JWT>();

function clientFor(cacheKey: string, account: ServiceAccount): JWT {
  const cached = clients.get(cacheKey);
  if (cached) {
    // Refresh its place: the least recently used client is the one dropped.
    clients.delete(cacheKey);
    clients.set(cacheKey, cached);
    return cached;
  }
  const tokenUri = account.token_uri || GOOGLE_TOKEN_URL;
  const client = new JWT({
    email: account.client_email,
    key: account.private_key,
    keyId: account.private_key_id,
    scopes: [CLOUD_PLATFORM_SCOPE],
    // The assertion's audience is the token endpoint that will check it.
    additionalClaims: { aud: tokenUri },
  });
  if (tokenUri !== GOOGLE_TOKEN_URL) {
    // The library always posts to Google's public token URL; honour the key's own `token_uri` (private endpoints,
    // other universes, test servers) by rewriting that one request on the client's own transporter.
    client.transporter.interceptors.request.add({
      resolved: async (options) => {
        if (String(options.url) === GOOGLE_TOKEN_URL) options.url = new URL(tokenUri);
        return options;
      },
    });
  }
  clients.set(cacheKey, client);
  while (clients.size > MAX_CLIENTS) clients.delete(clients.keys().next().value!);
  return client;
}

/**
 * An access token for the service account in `secret`, cached per `deploymentId` and secret (a rotated secret gets a
 * fresh client). Throws when the secret is not a service-account key or the token endpoint refuses it.
 */
export async function vertexAccessToken(deploymentId: string, secret: string): Promise<string> {
  const account = parseServiceAccount(secret);
  if (!account) throw new Error('the secret is not a service-account key JSON (client_email and private_key)');
  const cacheKey = `${deploymentId}:${createHash('sha256').update(secret).digest('hex')}`;
  const { token } = await clientFor(cacheKey, account).getAccessToken();
  if (!token) throw new Error('the token endpoint returned no access token');
  return token;
}

