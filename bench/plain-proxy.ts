/**
 * The floor: a plain Node reverse proxy (node:http + keep-alive agent) that pipes the request to the Azure fake and the
 * answer back, swapping `Authorization: Bearer <client key>` for Azure's `api-key`. No validation, billing or logging.
 */
import http from 'node:http';
import { arg, onStop, serveStats, tell } from './common.js';
import { UPSTREAM_CHAT_PATH, UPSTREAM_SECRET } from './bodies.js';

const upstream = new URL(arg('upstream')!);
const secret = arg('secret', UPSTREAM_SECRET)!;
const path = UPSTREAM_CHAT_PATH;
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

const server = http.createServer({ noDelay: true }, (req, res) => {
  const headers = { ...req.headers, host: upstream.host, 'api-key': secret };
  delete headers.authorization;
  const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers, agent }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  req.pipe(out);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => tell({ type: 'ready', url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
serveStats();
onStop(async () => {
  server.closeAllConnections();
  server.close();
  agent.destroy();
});
