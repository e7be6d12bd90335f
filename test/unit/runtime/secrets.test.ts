import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodedForms, secretArbitrary } from '../../support/secret-forms.js';
import { isSecretName, MASK, Masker, MIN_SECRET_LENGTH, secretsFromEnv } from '../../../src/runtime/secrets.js';

describe('Masker', () => {
  it('replaces every occurrence of a secret', () => {
    const m = new Masker(['hunter22']);
    expect(m.mask('pw=hunter22 again hunter22.')).toBe(`pw=${MASK} again ${MASK}.`);
    expect(m.mask('nothing here')).toBe('nothing here');
  });

  it('replaces the longest secret first, so a secret containing another is masked whole', () => {
    const m = new Masker(['abcd', 'abcdefgh']);
    expect(m.mask('x abcdefgh y abcd')).toBe('x *** y ***');
    // Registration order does not matter.
    const n = new Masker();
    n.add('abcdefgh');
    n.add('abcd');
    expect(n.mask('abcdefgh')).toBe('***');
  });

  it('also masks the URL-encoded form, %XX in either case and + for a space', () => {
    const m = new Masker(['p@ss word/1']);
    expect(m.mask('url=https://h/?pw=p%40ss%20word%2F1')).toBe('url=https://h/?pw=***');
    expect(m.mask('url=https://h/?pw=p%40ss%20word%2f1&x=1')).toBe('url=https://h/?pw=***&x=1');
    expect(m.mask('pw=p%40ss+word%2F1')).toBe('pw=***');
    expect(m.mask('raw p@ss word/1')).toBe('raw ***');
  });

  it('masks the JSON-escaped, hex and base64 forms, and the secret inside a longer base64 text', () => {
    const m = new Masker(['s3cr"et/\\é']);
    expect(m.mask('{"pw":"s3cr\\"et\\/\\\\\\u00e9"}')).toBe('{"pw":"***"}');
    expect(m.mask(`hex ${Buffer.from('s3cr"et/\\é').toString('hex').toUpperCase()}.`)).toBe('hex ***.');
    const basic = Buffer.from('deploy:s3cr"et/\\é').toString('base64');
    const masked = m.mask(`Authorization: Basic ${basic}`);
    expect(masked).toMatch(/^Authorization: Basic [A-Za-z0-9+/]{0,10}\*\*\*[A-Za-z0-9+/=]{0,4}$/);
    expect(m.mask(Buffer.from('s3cr"et/\\é').toString('base64url'))).toMatch(/^\*\*\*[A-Za-z0-9_-]{0,2}$/);
  });

  it('leaves text without the secret alone, also text full of escapes', () => {
    const m = new Masker(['hunter22']);
    for (const text of ['a+b=c 100% done', '{"path":"C:\\\\x\\n"}', 'aHVudGVy', '68756e746572', 'naïve 😀 %zz %4']) expect(m.mask(text)).toBe(text);
  });

  it('also masks the password part of a URL, encoded and decoded', () => {
    const m = new Masker(['postgres://deploy:s3cr%40t99@db.internal:5432/app']);
    expect(m.mask('connecting to postgres://deploy:s3cr%40t99@db.internal:5432/app')).toBe('connecting to ***');
    expect(m.mask('password s3cr@t99 leaked')).toBe('password *** leaked');
    expect(m.mask('encoded s3cr%40t99')).toBe('encoded ***');
    // The user name is not a secret.
    expect(m.mask('user deploy')).toBe('user deploy');
  });

  it('ignores secrets shorter than MIN_SECRET_LENGTH (they would shred ordinary text), and empty ones', () => {
    const m = new Masker(['abc', '', undefined as unknown as string]);
    m.add(undefined);
    expect(MIN_SECRET_LENGTH).toBe(4);
    expect(m.size).toBe(0);
    expect(m.mask('abc abc')).toBe('abc abc');
    // A URL password that is too short is not registered on its own.
    const u = new Masker(['https://u:ab@host.example/x']);
    expect(u.mask('ab cd')).toBe('ab cd');
    expect(u.mask('https://u:ab@host.example/x')).toBe('***');
  });

  it('counts each distinct secret once (its encoded forms are not secrets of their own)', () => {
    const m = new Masker(['plainsecret']);
    m.add('plainsecret');
    expect(m.size).toBe(1);
    m.add('with space');
    expect(m.size).toBe(2);
    // A URL's password counts, encoded and decoded.
    m.add('https://u:p%40ssw0rd@host/');
    expect(m.size).toBe(5);
  });

  it('maskValue masks every string deep inside objects and arrays, and leaves the rest', () => {
    const m = new Masker(['tok_123456']);
    const value = { a: 'Bearer tok_123456', n: 42, ok: true, none: null, list: ['x', 'tok_123456', { deep: ['y tok_123456'] }], nested: { s: 'tok_123456' } };
    expect(m.maskValue(value)).toEqual({ a: 'Bearer ***', n: 42, ok: true, none: null, list: ['x', '***', { deep: ['y ***'] }], nested: { s: '***' } });
    // The input is not changed.
    expect(value.a).toBe('Bearer tok_123456');
    expect(m.maskValue('tok_123456')).toBe('***');
    expect(m.maskValue(7)).toBe(7);
  });
});

describe('Masker, property: no encoded form of a secret survives masking', () => {
  const context = fc.string({ unit: fc.constantFrom(...'ab:=/+ "\\%'), maxLength: 5 });

  it('for random secrets, every form (raw, URL, form, JSON, hex, base64 and base64url, alone or inside a longer base64 text) is masked', () => {
    fc.assert(
      fc.property(secretArbitrary(MIN_SECRET_LENGTH), context, context, context, (secret, prefix, suffix, around) => {
        const m = new Masker([secret]);
        for (const [name, form] of Object.entries(encodedForms(secret, prefix, suffix))) {
          for (const text of [form, `${around}${form}${around}`, `{"token":"${form}","n":1}`, `https://h/?a=1&t=${form}#x`]) {
            const masked = m.mask(text);
            expect(masked.includes(form), `${name} ${JSON.stringify(form)} in ${JSON.stringify(masked)}`).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('isSecretName', () => {
  it('treats paths and sockets as not secret', () => {
    for (const name of ['PWD', 'OLDPWD', 'SSH_AUTH_SOCK', 'PATH', 'HOME', 'USER', 'SHELL', 'KEYTIMEOUT', 'XAUTHORITY', 'GPG_AGENT_INFO']) expect(isSecretName(name), name).toBe(false);
  });

  it('treats tokens, passwords and keys as secret', () => {
    for (const name of ['FOO_TOKEN', 'DB_PASSWORD', 'API_KEY', 'APIKEY', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'PGPASSWORD', 'DB_PASS', 'SLACK_WEBHOOK_URL', 'SENTRY_DSN', 'DB_PWD', 'KEY', 'ssh_private_key']) expect(isSecretName(name), name).toBe(true);
  });
});

describe('secretsFromEnv', () => {
  it('returns the values of secret-named variables at least 6 characters long', () => {
    const env = { FOO_TOKEN: 'tok_abcdef', DB_PASSWORD: 'hunter22', API_KEY: 'short', PWD: '/home/alice/project', OLDPWD: '/home/alice', SSH_AUTH_SOCK: '/tmp/ssh-agent.sock', PATH: '/usr/bin', EMPTY_TOKEN: '' };
    expect(secretsFromEnv(env).sort()).toEqual(['hunter22', 'tok_abcdef']);
  });
});
