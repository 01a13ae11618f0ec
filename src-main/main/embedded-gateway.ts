/**
 * The slice of the gateway API the desktop shell uses. The real `createGateway` from `src-gateway/server.ts`
 * satisfies it structurally; tests pass a fake.
 */

/** Options the shell passes to the gateway factory. */
export interface EmbeddedGatewayOptions {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** better-sqlite3 built for Electron (scripts/build-electron-native.mjs), when present. */
  nativeBinding?: string;
}

export interface EmbeddedGateway {
  readonly config: { readonly host: string; readonly port: number; readonly dataDir: string };
  adminToken(): Promise<string>;
  /** Rejects with an error whose `code` is `EADDRINUSE` when the port is taken. */
  start(): Promise<{ url: string }>;
  /** Drains in-flight streams and closes the database. */
  stop(): Promise<void>;
}

export type GatewayFactory = (options: EmbeddedGatewayOptions) => Promise<EmbeddedGateway>;

/**
 * Loads the gateway lazily: the window can appear (and a port clash be reported) without paying for Fastify,
 * SQLite and the providers up front. electron-vite bundles it into a chunk of the main build.
 */
export const loadGatewayFactory: GatewayFactory = async (options) => {
  const { createGateway } = await import('../../src-gateway/server');
  return createGateway(options);
};
