import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { gatewayError } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const API_PREFIXES = /^\/(v1|v1beta|api|admin|playground|files)(\/|$)/;

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'";

/** Serves the built renderer as the web console at `/` (single-page app: unknown paths get index.html). */
export async function consoleRoutes(app: FastifyInstance, options: { consoleDir?: string }): Promise<void> {
  const root = options.consoleDir ? path.resolve(options.consoleDir) : undefined;
  const index = root ? path.join(root, 'index.html') : undefined;

  app.get('/*', async (req, reply) => {
    const urlPath = req.url.split('?', 1)[0]!;
    if (API_PREFIXES.test(urlPath)) throw gatewayError('not_found', `No route for GET ${urlPath}.`);
    if (!root || !index || !fs.existsSync(index)) {
      return reply
        .type('text/html; charset=utf-8')
        .send('<!doctype html><title>Omixa</title><h1>Omixa gateway</h1><p>The web console is not built. Run <code>npm run build</code>, then restart <code>omixa serve</code>.</p>');
    }
    let file = path.join(root, path.normalize(safeDecode(urlPath)));
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = index;
    reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff');
    if (file === index) reply.header('cache-control', 'no-cache');
    return reply.type(TYPES[path.extname(file)] ?? 'application/octet-stream').send(fs.createReadStream(file));
  });
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '/';
  }
}
