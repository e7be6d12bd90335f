import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wantsJsonLogs } from '../../../src/cli/main.js';
import { levelOf } from '../../../src/cli/output.js';
import { createJsonLogger, resolveLogFormat } from '../../../src/runtime/logger.js';
import { Masker } from '../../../src/runtime/secrets.js';
import { makeTempDir } from '../../support/tmp.js';

describe('resolveLogFormat', () => {
  it('takes the flag first, then SHIPGATE_LOG_FORMAT, else human', () => {
    expect(resolveLogFormat(undefined, {})).toBe('human');
    expect(resolveLogFormat(undefined, { SHIPGATE_LOG_FORMAT: '' })).toBe('human');
    expect(resolveLogFormat(undefined, { SHIPGATE_LOG_FORMAT: 'json' })).toBe('json');
    expect(resolveLogFormat('human', { SHIPGATE_LOG_FORMAT: 'json' })).toBe('human');
    expect(resolveLogFormat('json', {})).toBe('json');
  });

  it('refuses anything else, naming where it came from', () => {
    expect(() => resolveLogFormat('JSON', {})).toThrow('--log-format: expected human or json (got "JSON")');
    expect(() => resolveLogFormat(undefined, { SHIPGATE_LOG_FORMAT: 'pretty' })).toThrow('SHIPGATE_LOG_FORMAT: expected human or json (got "pretty")');
  });
});

describe('wantsJsonLogs (for commander\'s own messages)', () => {
  it.each([
    [['status', '--log-format', 'json'], {}, true],
    [['status', '--log-format=json'], {}, true],
    [['status'], { SHIPGATE_LOG_FORMAT: 'json' }, true],
    [['status', '--log-format', 'human'], { SHIPGATE_LOG_FORMAT: 'json' }, false],
    [['status'], {}, false],
  ])('%j with %j: %s', (argv, env, expected) => {
    expect(wantsJsonLogs(argv, env)).toBe(expected);
  });
});

describe('levelOf', () => {
  it('reads the level of a stderr line from how it starts', () => {
    expect(levelOf('error: boom')).toBe('error');
    expect(levelOf('  warning: slow')).toBe('warn');
    expect(levelOf('\n!!! ROLLBACK FAILED')).toBe('error');
    expect(levelOf('config: /x/shipgate.yaml')).toBe('info');
  });
});

describe('createJsonLogger', () => {
  it('writes one JSON object per line with level, time and msg, every secret masked (message, fields, URL, JSON-escaped)', async () => {
    const dir = await makeTempDir('logger');
    const path = join(dir.path, 'log.jsonl');
    const fd = openSync(path, 'w');
    const secret = 'p@ss"w0rd/with-quote';
    const masker = new Masker([secret]);
    const logger = createJsonLogger({ masker: () => masker, fd, base: { role: 'test' } });
    logger.info({ url: `https://u:${encodeURIComponent(secret)}@db.example.com/x`, nested: { token: secret } }, `failed with ${secret}`);
    logger.warn('plain');
    closeSync(fd);
    const text = readFileSync(path, 'utf8');
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', role: 'test', msg: 'failed with ***', url: 'https://u:***@db.example.com/x', nested: { token: '***' } });
    expect(Number.isNaN(Date.parse(lines[0]!.time as string))).toBe(false);
    expect(lines[1]).toMatchObject({ level: 'warn', msg: 'plain' });
    expect(text).not.toContain('w0rd');
    await dir.cleanup();
  });
});
