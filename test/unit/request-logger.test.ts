import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LazyRequestLogger, lazyRequestLoggers } from '../../src-gateway/request-logger.js';

/** A pino logger writing JSON lines into `lines`. */
function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

describe('LazyRequestLogger', () => {
  it('makes no child logger until something is logged, then exactly one, with the bindings', () => {
    const { logger, lines } = capture();
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((bindings, options) => {
      children++;
      return child(bindings, options);
    }) as typeof logger.child;

    const log = new LazyRequestLogger(logger, { reqId: 'req_1' }, {});
    expect(log.level).toBe('info');
    expect(children).toBe(0);

    log.warn({ code: 42 }, 'first %s', 'line');
    log.info('second');
    log.debug('below the level');
    expect(children).toBe(1);
    expect(lines.map((l) => [l.reqId, l.msg, l.level])).toEqual([
      ['req_1', 'first line', 40],
      ['req_1', 'second', 30],
    ]);
    expect(lines[0]!.code).toBe(42);
  });

  it('hands out children that keep its bindings, and takes a level of its own', () => {
    const { logger, lines } = capture();
    const log = new LazyRequestLogger(logger, { reqId: 'req_2' }, {});
    log.child({ step: 'upstream' }).error('failed');
    log.level = 'error';
    log.warn('dropped');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reqId: 'req_2', step: 'upstream', msg: 'failed' });
    expect(logger.level).toBe('info');
  });

  it("is what Fastify gives each request: lines logged through req.log carry that request's id", async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
    const app = Fastify({ logger: { level: 'info', stream }, childLoggerFactory: lazyRequestLoggers, disableRequestLogging: true, genReqId: () => 'req_fixed' });
    app.get('/quiet', async () => ({ ok: true }));
    app.get('/loud', async (req) => {
      req.log.warn({ detail: 'x' }, 'something odd');
      return { ok: true };
    });
    await app.inject('/quiet');
    expect(lines).toHaveLength(0);
    await app.inject('/loud');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reqId: 'req_fixed', detail: 'x', msg: 'something odd' });
    await app.close();
  });
});
