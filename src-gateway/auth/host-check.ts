/**
 * DNS-rebinding guard: only requests addressed to the bound host, loopback names or configured names are served.
 */
export function allowedHostNames(boundHost: string, configured: readonly string[]): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '[::1]', '::1', ...configured.map((h) => h.toLowerCase())]);
  const bound = boundHost.toLowerCase();
  if (bound !== '0.0.0.0' && bound !== '::') names.add(bound.includes(':') && !bound.startsWith('[') ? `[${bound}]` : bound);
  return names;
}

/** The host part of a Host header (port removed, IPv6 brackets kept). */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end > 0 ? value.slice(0, end + 1) : undefined;
  }
  const colon = value.indexOf(':');
  return colon >= 0 ? value.slice(0, colon) : value;
}

export function isAllowedHost(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  const name = hostName(header);
  return name !== undefined && allowed.has(name);
}
