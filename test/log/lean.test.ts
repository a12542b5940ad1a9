// The agent's lean logger writes the lines pino writes (same fields, order, levels, redaction, err).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLeanLogger } from '../../src/log/lean.js';

const redact = ['token', 'password', 'authorization', 'headers.authorization', 'req.headers.authorization', '*.token', '*.password', 'data', '*.data'];

/** The same calls on pino and on the lean logger; lines parsed, `time` checked then dropped. */
function both(level: 'debug' | 'info', calls: (l: { info: (...a: unknown[]) => void; warn: (...a: unknown[]) => void; error: (...a: unknown[]) => void; debug: (...a: unknown[]) => void; child: (b: Record<string, unknown>) => unknown }) => void): { pino: string[]; lean: string[] } {
  const out = { pino: [] as string[], lean: [] as string[] };
  const p = pino({ level, name: 'bramble-agent', redact: { paths: redact, censor: '[redacted]' } }, { write: (s: string) => { out.pino.push(s); } });
  const l = createLeanLogger({ level, name: 'bramble-agent', redact, censor: '[redacted]', write: (s) => { out.lean.push(s); } });
  calls(p as never);
  calls(l as never);
  const norm = (lines: string[]): string[] => lines.flatMap((s) => s.split('\n').filter(Boolean)).map((s) => {
    const o = JSON.parse(s) as Record<string, unknown>;
    expect(typeof o.time).toBe('number');
    delete o.time;
    return JSON.stringify(o); // key order kept: it is part of the shape
  });
  return { pino: norm(out.pino), lean: norm(out.lean) };
}

describe('lean logger', () => {
  it('writes the same NDJSON lines as pino: levels, bindings, fields, msg, format args', () => {
    const r = both('info', (l) => {
      const c = l.child({ node: 'pi-1' }) as typeof l;
      const cc = c.child({ component: 'pods' }) as typeof l;
      cc.info({ pod: 'default/web', restartCount: 0 }, 'container started');
      cc.warn('master unreachable; running on local state');
      cc.error({ n: 1, nested: { a: [1, 'x', null] } }, 'value %s and %d', 'v', 7);
      cc.debug({ hidden: true }, 'below the level');
      l.info('plain');
    });
    expect(r.lean).toEqual(r.pino);
    expect(r.lean).toHaveLength(4);
  });

  it('serializes errors as pino does, as a field and as the first argument', () => {
    const err = Object.assign(new Error('boom', { cause: new TypeError('inner') }), { code: 'EX' });
    const r = both('info', (l) => {
      l.error({ err }, 'task failed');
      l.error(err);
      l.warn({ err: 'just text' }, 'string err');
    });
    expect(r.lean).toEqual(r.pino);
  });

  it('redacts the same paths', () => {
    const r = both('info', (l) => {
      l.info({ token: 'secret', user: { password: 'pw', name: 'n' }, headers: { authorization: 'Bearer x' }, req: { headers: { authorization: 'y', host: 'h' } }, data: 'd', msg2: { data: 1 } }, 'creds');
      (l.child({ token: 'bound' }) as typeof l).info('child with a token');
    });
    expect(r.lean).toEqual(r.pino);
    expect(r.lean.join('\n')).not.toMatch(/secret|"pw"|Bearer|"bound"/);
  });

  it('debug lines only at debug level; level can be read and changed', () => {
    const lines: string[] = [];
    const l = createLeanLogger({ level: 'info', write: (s) => { lines.push(s); } });
    l.debug('no');
    expect(l.isLevelEnabled('debug')).toBe(false);
    l.level = 'debug';
    l.debug('yes');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 20, msg: 'yes' });
  });
});
