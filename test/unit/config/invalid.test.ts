import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { loadConfig, validateAllEnvironments } from '../../../src/config/index.js';
import { MAX_CONFIG_BYTES } from '../../../src/config/environments.js';
import { configErrorOf, MINIMAL_YAML as M } from './helpers.js';
import { show } from '../../../src/config/show.js';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';

/**
 * Every config error names its key path, what was expected and what was found.
 * These texts are user-facing: they are pinned here, line for line.
 */

const HEAD = 'invalid config shipgate.yaml (environment "production"):';
const STAGING = 'invalid config shipgate.yaml (environment "staging"):';

// Made here, not written into the repository: an age secret key in a file is what secret scanners look for.
const AGE_IDENTITY = await generateX25519Identity();
const AGE_RECIPIENT = await identityToRecipient(AGE_IDENTITY);
const MISTYPED_RECIPIENT = `${AGE_RECIPIENT.slice(0, 20)}${AGE_RECIPIENT[20] === 'q' ? 'p' : 'q'}${AGE_RECIPIENT.slice(21)}`;
const ageDb = (encryption: string, backup = ''): string => `${M}databases: { main: { type: postgres, url: "postgres://h/db", backup: { ${backup}encryption: ${encryption} } } }\n`;
const ENC = '  databases.main.backup.encryption';

interface Case {
  name: string;
  yaml: string;
  /** `--env`; omitted means "the only one there is". */
  env?: string;
  vars?: Record<string, string>;
  message: string[];
}

const cases: Case[] = [
  {
    name: 'the local provider without a build',
    yaml: 'app: demo\nprovider: { type: local, command: ["node", "server.js"] }\n',
    message: [HEAD, '  build: is required with provider type local (instances run from .shipgate/releases/<version>/, which the build fills: add build.command and build.artifacts)'],
  },
  {
    name: 'a fly provider with bad fields',
    yaml: `app: hotdash
provider:
  type: fly
  app: HotDash
  regions: [amsterdam]
  maxUnavailable: 0
  strategy: fast
  apiUrl: "ftp://x"
  metrics: { type: prometheus, url: "http://p", errorRate: "", bogus: 1 }
`,
    message: [
      HEAD,
      '  provider.app: expected a Fly.io app name of lowercase letters, digits and "-" (at most 63) (got "HotDash")',
      '  provider.regions[0]: expected a Fly.io region code like "ams" (got "amsterdam")',
      '  provider.maxUnavailable: expected a number of machines, or a fraction below 1, above 0 (got 0)',
      '  provider.strategy: expected one of "immediate", "rolling", "canary", "bluegreen" (got "fast")',
      '  provider.apiUrl: expected an http(s) URL (got "ftp://x")',
      '  provider.metrics.errorRate: expected a PromQL query (got "")',
      '  provider.metrics.bogus: unknown key (expected one of type, url, token, errorRate, p95, requests)',
    ],
  },
  {
    name: 'fly machines with max below min, in one environment',
    yaml: 'app: hotdash\nprovider: { type: fly, app: hotdash, regions: [ams], machines: { min: 1 } }\nenvironments:\n  staging: {}\n  production: { provider: { machines: { min: 3, max: 2 } } }\n',
    env: 'production',
    message: [HEAD, '  environments.production.provider.machines.max: expected at least machines.min, 3 (got 2)'],
  },
  {
    name: 'a canary with a provider that cannot split traffic',
    yaml: `${M}rollout: { strategy: canary }\n`,
    message: [HEAD, '  rollout.strategy: expected "immediate" with provider type command, which cannot split traffic (got "canary"; use provider type local or fly)'],
  },
  {
    name: 'canary weights going down',
    yaml: 'app: demo\nprovider: { type: local, command: ["node", "s.js"] }\nbuild: { command: ["make"], artifacts: [app] }\nrollout: { strategy: canary, steps: [{ weight: 50 }, { weight: 5 }] }\n',
    message: [HEAD, "  rollout.steps[1].weight: expected at least the previous step's 50 (got 5)"],
  },
  {
    name: 'a step weight over 100 and a bad pause',
    yaml: 'app: demo\nprovider: { type: local, command: ["node", "s.js"] }\nbuild: { command: ["make"], artifacts: [app] }\nrollout: { strategy: canary, steps: [{ weight: 150, pause: soon }] }\n',
    message: [HEAD, '  rollout.steps[0].weight: expected a weight from 0 to 100 (got 150)', '  rollout.steps[0].pause: expected a duration like "10s", "5m" or "1h", or "manual" (got "soon")'],
  },
  {
    name: 'a bad listen address',
    yaml: 'app: demo\nprovider: { type: local, command: ["node", "s.js"], listen: "3000" }\nbuild: { command: ["make"], artifacts: [app] }\n',
    message: [HEAD, '  provider.listen: expected "host:port", like "127.0.0.1:3000" (got "3000")'],
  },
  {
    name: 'a TCP control port off loopback without TLS',
    yaml: 'app: demo\nprovider: { type: local, command: ["node", "s.js"], control: { listen: "0.0.0.0:7070", token: "a-long-enough-token" } }\nbuild: { command: ["make"], artifacts: [app] }\n',
    message: [HEAD, '  provider.control.listen: expected a loopback address like "127.0.0.1:7070" unless provider.control.tls is set: the token grants code execution as the agent\'s user and must not cross a network in clear text (got "0.0.0.0:7070")'],
  },
  {
    name: 'a TCP control port on all interfaces (":port") without TLS',
    yaml: 'app: demo\nprovider: { type: local, command: ["node", "s.js"], control: { listen: ":7070", token: "a-long-enough-token" } }\nbuild: { command: ["make"], artifacts: [app] }\n',
    message: [HEAD, '  provider.control.listen: expected a loopback address like "127.0.0.1:7070" unless provider.control.tls is set: the token grants code execution as the agent\'s user and must not cross a network in clear text (got ":7070")'],
  },
  {
    name: 'router.maxConnections of 0',
    yaml: 'app: demo\nprovider: { type: local, command: ["node", "s.js"], router: { maxConnections: 0 } }\nbuild: { command: ["make"], artifacts: [app] }\n',
    message: [HEAD, '  provider.router.maxConnections: expected at least 1 (got 0)'],
  },
  {
    name: 'a YAML error without a position (found by the property test)',
    yaml: '... app',
    message: ['shipgate.yaml is not valid YAML:', '  the whole file: expected a single document in the stream, but found more'],
  },
  {
    name: 'an artifact named like the release manifest',
    yaml: `${M}build: { command: ["make"], artifacts: [dist, manifest.json] }\n`,
    message: [HEAD, '  build.artifacts[1]: expected a name other than "manifest.json", which the release\'s sha256 manifest uses (got "manifest.json")'],
  },
  {
    name: 'bad hours',
    yaml: `${M}gates: { window: { timezone: UTC, hours: "9-5" } }\n`,
    message: [HEAD, '  gates.window.hours: expected "HH:MM-HH:MM" (got "9-5")'],
  },
  {
    name: 'unknown top-level key, with a suggestion',
    yaml: `${M}smok: []\n`,
    message: [HEAD, '  smok: unknown key (did you mean "smoke"?)'],
  },
  {
    name: 'unknown top-level key, listing the known ones',
    yaml: `${M}colour: blue\n`,
    message: [HEAD, '  colour: unknown key (expected one of app, store, provider, build, rollout, gates, databases, notify, monitor, smoke, rollback, resume, services, secrets, timeout, environments)'],
  },
  {
    name: 'a database of an unknown type',
    yaml: `${M}databases: { main: { type: oracle, url: "x" } }\n`,
    message: [HEAD, '  databases.main.type: expected one of "postgres", "mysql", "sqlite", "mongodb" (got "oracle")'],
  },
  {
    name: 'a database without a url',
    yaml: `${M}databases: { main: { type: postgres } }\n`,
    message: [HEAD, '  databases.main.url: is required (expected a connection URL (use ${DATABASE_URL}))'],
  },
  {
    name: 'builtin migrations on mongodb',
    yaml: `${M}databases: { main: { type: mongodb, url: "mongodb://h/db", migrations: { tool: builtin } } }\n`,
    message: [HEAD, '  databases.main.migrations.tool: expected "command" for a mongodb database (builtin migrations are SQL files; run migrate-mongo or the like as tool: command)'],
  },
  {
    name: 'a database URL of another type (only its scheme is quoted, never the password)',
    yaml: `${M}databases: { main: { type: postgres, url: "mysql://app:pw-7f3e@h/db" } }\n`,
    message: [HEAD, '  databases.main.url: expected a postgres: or postgresql: URL for type postgres (got mysql:)'],
  },
  {
    name: 'a database URL without a scheme',
    yaml: `${M}databases: { main: { type: sqlite, url: "data/app.db" } }\n`,
    message: [HEAD, '  databases.main.url: expected a sqlite: URL for type sqlite (got a URL without a scheme)'],
  },
  {
    name: 'an S3 bucket name that S3 refuses',
    yaml: `${M}databases: { main: { type: postgres, url: "postgres://h/db", backup: { storage: { type: s3, bucket: My_Bucket } } } }\n`,
    message: [HEAD, '  databases.main.backup.storage.bucket: expected an S3 bucket name (3-63 lowercase letters, digits, "." or "-") (got "My_Bucket")'],
  },
  {
    name: 'an unknown key under backup',
    yaml: `${M}databases: { main: { type: postgres, url: "postgres://h/db", backup: { verfy: list } } }\n`,
    message: [HEAD, '  databases.main.backup.verfy: unknown key (did you mean "verify"?)'],
  },
  {
    name: 'a short encryption key',
    yaml: `${M}databases: { main: { type: postgres, url: "postgres://h/db", backup: { encryption: { key: short } } } }\n`,
    message: [HEAD, '  databases.main.backup.encryption.key: expected at least 32 characters (use ${BACKUP_KEY} from the environment) (got "***")'],
  },
  {
    name: 'backup encryption with both a passphrase and age recipients',
    yaml: ageDb(`{ key: "\${BACKUP_KEY}", recipients: [${AGE_RECIPIENT}] }`),
    vars: { BACKUP_KEY: 'a passphrase of at least thirty-two characters' },
    message: [HEAD, `${ENC}.recipients: expected either key (a passphrase) or recipients (age public keys), not both`],
  },
  {
    name: 'backup encryption with neither a passphrase nor recipients',
    yaml: ageDb('{}'),
    message: [HEAD, `${ENC}: expected key (a passphrase, \${BACKUP_KEY}) or recipients (age public keys, age1…)`],
  },
  {
    name: 'a mistyped age recipient, and what is not one',
    yaml: ageDb(`{ recipients: [${AGE_RECIPIENT}, ${MISTYPED_RECIPIENT}, "ssh-ed25519 AAAAC3Nz"] }`, 'verify: none, '),
    message: [
      HEAD,
      `${ENC}.recipients[1]: expected an X25519 age recipient (age1 followed by 58 characters): its checksum does not match (a mistyped character?) (got ${show(MISTYPED_RECIPIENT)})`,
      `${ENC}.recipients[2]: expected an X25519 age recipient (age1 followed by 58 characters), as \`age-keygen\` prints (got "ssh-ed25519 AAAAC3Nz")`,
    ],
  },
  {
    name: 'age recipients with verify: restore and no identity to decrypt with',
    yaml: ageDb(`{ recipients: [${AGE_RECIPIENT}] }`),
    message: [HEAD, `${ENC}.identity: is required by verify: restore, which decrypts the archive to restore it (set identity from the environment or identityFile, or set backup.verify to list, which then checks the sha256 only, or none)`],
  },
  {
    name: 'a damaged age identity from the environment (never quoted)',
    yaml: ageDb(`{ recipients: [${AGE_RECIPIENT}], identity: "\${BACKUP_AGE_IDENTITY}" }`),
    vars: { BACKUP_AGE_IDENTITY: `${AGE_IDENTITY.slice(0, 50)}${AGE_IDENTITY.slice(51)}` },
    message: [HEAD, `${ENC}.identity: expected an X25519 age identity (AGE-SECRET-KEY-1 followed by 58 characters, as \`age-keygen\` writes), or the text of an identity file; it is not an age identity`],
  },
  {
    name: 'an age identity with a passphrase key, and both identity and identityFile',
    yaml: `${M}databases:\n  main: { type: postgres, url: "postgres://h/db", backup: { encryption: { key: "\${BACKUP_KEY}", identityFile: age.txt } } }\n  other: { type: postgres, url: "postgres://h/db2", backup: { encryption: { recipients: [${AGE_RECIPIENT}], identity: "\${BACKUP_AGE_IDENTITY}", identityFile: age.txt } } }\n`,
    vars: { BACKUP_KEY: 'a passphrase of at least thirty-two characters', BACKUP_AGE_IDENTITY: AGE_IDENTITY },
    message: [HEAD, `${ENC}.identityFile: goes with recipients (age); a passphrase key decrypts by itself`, '  databases.other.backup.encryption.identityFile: expected either identity or identityFile, not both'],
  },
  {
    name: 'an unknown rollback.database mode',
    yaml: `${M}rollback: { database: drop }\n`,
    message: [HEAD, '  rollback.database: expected one of "down", "restore" (got "drop")'],
  },
  {
    name: 'unknown nested key',
    yaml: `${M}rollback: { auto: true, windw: 5m }\n`,
    message: [HEAD, '  rollback.windw: unknown key (did you mean "window"?)'],
  },
  {
    name: 'unknown key under a command provider lists only the command provider\'s keys',
    yaml: 'app: demo\nprovider: { type: command, deploy: ["true"], zzz: 1 }\n',
    message: [HEAD, '  provider.zzz: unknown key (expected one of type, deploy, rollback, health, status, env, cwd, timeout)'],
  },
  {
    name: 'unknown key under a local provider lists only the local provider\'s keys',
    yaml: 'app: demo\nprovider: { type: local, command: ["node", "s.js"], zzz: 1 }\nbuild: { command: ["make"], artifacts: [app] }\n',
    message: [HEAD, '  provider.zzz: unknown key (expected one of type, command, instances, listen, readiness, stopTimeout, env, deadman, router, control, health)'],
  },
  {
    name: 'local provider times the agent cannot hold are refused before anything runs (not by the agent after the build)',
    yaml: 'app: demo\nprovider: { type: local, command: ["node", "s.js"], deadman: 500ms, stopTimeout: 30d, readiness: { interval: 5ms, path: "/he alth" } }\nbuild: { command: ["make"], artifacts: [app] }\n',
    message: [
      HEAD,
      '  provider.deadman: expected a duration from 1s to 24d20h31m23s (got "500ms")',
      '  provider.stopTimeout: expected a duration from 1ms to 24d20h31m23s (got "30d")',
      '  provider.readiness.interval: expected a duration from 10ms to 24d20h31m23s (got "5ms")',
      '  provider.readiness.path: expected a path starting with "/", of visible ASCII characters (got "/he alth")',
    ],
  },
  {
    name: 'unknown key in a list item',
    yaml: `${M}smoke: [{ name: api, url: "http://127.0.0.1/", expcet: [200] }]\n`,
    message: [HEAD, '  smoke[0].expcet: unknown key (expected one of name, method, url, expect, json, contains, headers, body, timeout, retries)'],
  },
  {
    name: 'wrong type',
    yaml: `${M}build: { command: "make", keep: "three" }\n`,
    message: [HEAD, '  build.keep: expected a whole number (got "three")'],
  },
  {
    name: 'duration as a bare number',
    yaml: `${M}rollback: { window: 10 }\n`,
    message: [HEAD, '  rollback.window: expected a duration like "10s", "5m" or "1h" (got 10)'],
  },
  {
    name: 'duration in words',
    yaml: 'app: demo\nprovider: { type: command, deploy: ["./deploy.sh"], timeout: "10 seconds" }\n',
    message: [HEAD, '  provider.timeout: expected a duration like "10s", "5m" or "1h" (got "10 seconds")'],
  },
  {
    name: 'durations beyond a year (a Node timer holds 24.8 days; longer ones would fire at once or overflow a date)',
    yaml: 'app: demo\nprovider: { type: command, deploy: ["./deploy.sh"], timeout: 400d }\nrollback: { window: 99999999999999999999999d }\ntimeout: 8760h\ngates: { approval: { approvers: [a], timeout: 31536000001ms } }\n',
    message: [
      HEAD,
      '  provider.timeout: expected a duration of at most 365d (got "400d")',
      '  rollback.window: expected a duration of at most 365d (got "99999999999999999999999d")',
      '  gates.approval.timeout: expected a duration of at most 365d (got "31536000001ms")',
    ],
  },
  {
    name: 'a canary pause beyond a year',
    yaml: 'app: demo\nprovider: { type: local, command: ["node", "s.js"] }\nbuild: { command: ["make"], artifacts: [app] }\nrollout: { strategy: canary, steps: [{ weight: 50, pause: 366d }] }\n',
    message: [HEAD, '  rollout.steps[0].pause: expected a duration of at most 365d (got "366d")'],
  },
  {
    name: 'references that are not ${NAME} or ${NAME:-default}',
    yaml: 'app: demo\nprovider:\n  type: command\n  deploy: ["sh", "-c", "echo ${A-B} ${}", "${1BAD}", "${UNCLOSED"]\n  env: { LONG: "${this is not a variable name, and a long one at that}" }\n',
    message: [
      HEAD,
      '  provider.deploy[2]: "${A-B}" is not a variable reference (expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and "_" and not starting with a digit; $${ writes a literal "${")',
      '  provider.deploy[2]: "${}" is not a variable reference (expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and "_" and not starting with a digit; $${ writes a literal "${")',
      '  provider.deploy[3]: "${1BAD}" is not a variable reference (expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and "_" and not starting with a digit; $${ writes a literal "${")',
      '  provider.deploy[4]: "${" is never closed (expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and "_" and not starting with a digit; $${ writes a literal "${")',
      '  provider.env.LONG: "${this is not a variable name, and a l…}" is not a variable reference (expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and "_" and not starting with a digit; $${ writes a literal "${")',
    ],
  },
  {
    name: 'reserved environment names',
    yaml: `${M}environments:\n  __proto__: { rollback: { window: 5m } }\n  constructor: {}\n  prototype: {}\n  production: {}\n`,
    message: [
      'invalid config shipgate.yaml:',
      '  environments.__proto__: "__proto__" cannot name an environment (it is reserved in JavaScript objects; expected a name like staging or production)',
      '  environments.constructor: "constructor" cannot name an environment (it is reserved in JavaScript objects; expected a name like staging or production)',
      '  environments.prototype: "prototype" cannot name an environment (it is reserved in JavaScript objects; expected a name like staging or production)',
    ],
  },
  {
    name: 'missing app',
    yaml: 'provider: { type: command, deploy: ["./deploy.sh"] }\n',
    message: [HEAD, '  app: is required (expected a name)'],
  },
  {
    name: 'missing provider',
    yaml: 'app: demo\n',
    message: [HEAD, '  provider: is required (expected a provider with type: command, local or fly)'],
  },
  {
    name: 'provider without a type',
    yaml: 'app: demo\nprovider: { deploy: ["./deploy.sh"] }\n',
    message: [HEAD, '  provider.type: is required (expected one of "command", "local", "fly")'],
  },
  {
    name: 'bad provider type',
    yaml: 'app: demo\nprovider: { type: kubernetes, deploy: ["./deploy.sh"] }\n',
    message: [HEAD, '  provider.type: expected one of "command", "local", "fly" (got "kubernetes")'],
  },
  {
    name: 'empty deploy argv',
    yaml: 'app: demo\nprovider: { type: command, deploy: [] }\n',
    message: [HEAD, '  provider.deploy: expected at least the program name (got [])'],
  },
  {
    name: 'empty deploy string',
    yaml: 'app: demo\nprovider: { type: command, deploy: "" }\n',
    message: [HEAD, '  provider.deploy: expected a non-empty shell command (got "")'],
  },
  {
    name: 'deploy of the wrong type',
    yaml: 'app: demo\nprovider: { type: command, deploy: 42 }\n',
    message: [HEAD, '  provider.deploy: expected a command: an argv array like ["./deploy.sh"] or a shell string (got 42)'],
  },
  {
    name: 'bad semver option type',
    yaml: `${M}gates: { semver: { allowPrerelease: "yes" } }\n`,
    message: [HEAD, '  gates.semver.allowPrerelease: expected a boolean (got "yes")'],
  },
  {
    name: 'gate set to true',
    yaml: `${M}gates: { semver: true }\n`,
    message: [HEAD, '  gates.semver: expected a map of settings, or false to turn the gate off (got true)'],
  },
  {
    name: 'bad weekday',
    yaml: `${M}gates: { window: { timezone: UTC, days: [mon, funday] } }\n`,
    message: [HEAD, '  gates.window.days[1]: expected one of "mon", "tue", "wed", "thu", "fri", "sat", "sun" (got "funday")'],
  },
  {
    name: 'bad timezone',
    yaml: `${M}gates: { window: { timezone: Mars/Olympus_Mons } }\n`,
    message: [HEAD, '  gates.window.timezone: expected an IANA time zone like "America/Los_Angeles" (got "Mars/Olympus_Mons")'],
  },
  {
    name: 'end hour before start hour',
    yaml: `${M}gates: { window: { timezone: UTC, hours: "17:00-09:00" } }\n`,
    message: [HEAD, '  gates.window.hours: expected "HH:MM-HH:MM" with the end after the start, on the same day (got "17:00-09:00")'],
  },
  {
    name: 'freeze that ends before it starts',
    yaml: `${M}gates: { window: { timezone: UTC, freeze: [{ from: 2026-12-24, to: 2026-12-01 }] } }\n`,
    message: [HEAD, '  gates.window.freeze[0].to: expected a date on or after "from" (2026-12-24) (got "2026-12-01")'],
  },
  {
    name: 'bad date',
    yaml: `${M}gates: { window: { timezone: UTC, freeze: [{ from: 2026-13-01, to: 2026-12-31 }] } }\n`,
    message: [HEAD, '  gates.window.freeze[0].from: expected a date "YYYY-MM-DD" (got "2026-13-01")'],
  },
  {
    name: 'more approvals required than approvers',
    yaml: `${M}gates: { approval: { required: 3, approvers: [alice, bob] } }\n`,
    message: [HEAD, '  gates.approval.required: expected at most the number of approvers (2) (got 3)'],
  },
  {
    name: 'a secrets allowlist entry without a reason, or with a bad fingerprint',
    yaml: `${M}gates: { secrets: { allow: [{ path: "dist/**" }, { fingerprint: "abc", reason: "x" }] } }\n`,
    message: [
      HEAD,
      '  gates.secrets.allow[0].reason: is required (expected a reason: why this finding is not a leaked secret)',
      '  gates.secrets.allow[1].fingerprint: expected 16 hex digits as a blocked message prints them (got "abc")',
    ],
  },
  {
    name: 'a secrets allowlist entry with neither path nor fingerprint',
    yaml: `${M}gates: { secrets: { allow: [{ path: "a/**", reason: "fixtures" }, { reason: "everything" }] } }\n`,
    message: [HEAD, '  gates.secrets.allow[1]: expected a path, a fingerprint or both: an entry with neither would let every finding through'],
  },
  {
    name: 'unknown holiday region',
    yaml: `${M}gates: { window: { timezone: UTC, holidays: XX } }\n`,
    message: [HEAD, '  gates.window.holidays: expected a known country or region code like "US", "US-CA" or "GB" (got "XX")'],
  },
  {
    name: 'bad URL in the health gate',
    yaml: `${M}gates: { health: [{ url: "staging.example.com/health" }] }\n`,
    message: [HEAD, '  gates.health[0].url: expected an http(s) URL (got "staging.example.com/health")'],
  },
  {
    name: 'health gate of the wrong shape',
    yaml: `${M}gates: { health: "https://staging.example.com/health" }\n`,
    message: [HEAD, '  gates.health: expected a list of { url } or a map with targets: [{ url }], or false to turn the gate off (got "https://staging.example.com/health")'],
  },
  {
    name: 'bad URL in a smoke test',
    yaml: `${M}smoke: [{ name: api, url: "ftp://example.com/" }]\n`,
    message: [HEAD, '  smoke[0].url: expected an http(s) URL (got "ftp://example.com/")'],
  },
  {
    name: 'bad status code',
    yaml: `${M}smoke: [{ name: api, url: "https://example.com/", expect: [200, 700] }]\n`,
    message: [HEAD, '  smoke[0].expect[1]: expected an HTTP status code (100-599) (got 700)'],
  },
  {
    name: 'duplicate smoke test names',
    yaml: `${M}smoke:\n  - { name: api, url: "https://example.com/a" }\n  - { name: api, url: "https://example.com/b" }\n`,
    message: [HEAD, '  smoke[1].name: expected a unique name (got "api", already used by smoke[0])'],
  },
  {
    name: 'bad store url',
    yaml: `${M}store: { url: "mysql://db.example.com/shipgate" }\n`,
    message: [HEAD, '  store.url: expected "sqlite:PATH" or "postgres://user@host/db" (got "mysql://db.example.com/shipgate")'],
  },
  {
    name: 'missing environment variable',
    yaml: `${M}gates: { checks: { github: { repo: acme/demo, required: [test], token: "\${GITHUB_TOKEN}" } } }\n`,
    message: [HEAD, '  gates.checks.github.token: environment variable GITHUB_TOKEN is not set (used as ${GITHUB_TOKEN})'],
  },
  {
    name: 'missing environment variable inside an environment block',
    yaml: `${M}environments:\n  staging: { provider: { env: { API_URL: "\${STAGING_API_URL}" } } }\n`,
    env: 'staging',
    message: [STAGING, '  environments.staging.provider.env.API_URL: environment variable STAGING_API_URL is not set (used as ${STAGING_API_URL})'],
  },
  {
    name: 'empty environment variable',
    yaml: `${M}build: { command: "\${BUILD_COMMAND}" }\n`,
    vars: { BUILD_COMMAND: '' },
    message: [HEAD, '  build.command: environment variable BUILD_COMMAND is empty (used as ${BUILD_COMMAND})'],
  },
  {
    name: 'error inside an environment block',
    yaml: `${M}environments:\n  staging: { rollback: { window: soon } }\n  production: {}\n`,
    env: 'staging',
    message: [STAGING, '  environments.staging.rollback.window: expected a duration like "10s", "5m" or "1h" (got "soon")'],
  },
  {
    name: 'unknown key inside an environment block',
    yaml: `${M}environments:\n  staging: { rollbak: { window: 5m } }\n`,
    env: 'staging',
    message: [STAGING, '  environments.staging.rollbak: unknown key (did you mean "rollback"?)'],
  },
  {
    name: 'app set inside an environment',
    yaml: `${M}environments:\n  staging: { app: demo-staging }\n`,
    env: 'staging',
    message: [STAGING, '  environments.staging.app: cannot be set per environment (set "app" once at the top level)'],
  },
  {
    name: 'environment block that is not a map',
    yaml: `${M}environments:\n  staging: [gates]\n`,
    env: 'staging',
    message: [STAGING, '  environments.staging: expected a map of settings (got a list)'],
  },
  {
    name: 'environments that is not a map',
    yaml: `${M}environments: [staging, production]\n`,
    message: [HEAD, '  environments: expected a map of environment name to settings (got a list)'],
  },
  {
    name: 'unknown --env name',
    yaml: `${M}environments: { staging: {}, production: {} }\n`,
    env: 'prod',
    message: ['unknown environment "prod" in shipgate.yaml (expected one of staging, production)'],
  },
  {
    name: 'no --env when there are several environments',
    yaml: `${M}environments: { staging: {}, production: {} }\n`,
    message: ['choose an environment with --env (one of staging, production)'],
  },
  {
    name: 'YAML syntax error',
    yaml: 'app: demo\nprovider:\n  type: command\n  deploy: ["./deploy.sh"\n',
    message: ['shipgate.yaml is not valid YAML:', '  line 5, column 1: a "[" or "{" is never closed (the file ended first)'],
  },
  {
    name: 'YAML syntax error in the middle',
    yaml: 'app: demo\n  provider: x\nsmoke: []\n',
    message: ['shipgate.yaml is not valid YAML:', '  line 2, column 11: bad indentation of a mapping entry (check the spaces before this key)'],
  },
  {
    name: 'duplicate YAML key',
    yaml: `${M}smoke: []\nsmoke: []\n`,
    message: ['shipgate.yaml is not valid YAML:', '  line 4, column 1: duplicate key "smoke" (expected each key once per map)'],
  },
  {
    name: 'top level is a list',
    yaml: '- app: demo\n',
    message: ['shipgate.yaml: expected a map of settings at the top level (got a list)'],
  },
  {
    name: 'top level is a scalar',
    yaml: 'demo\n',
    message: ['shipgate.yaml: expected a map of settings at the top level (got "demo")'],
  },
  {
    name: 'empty file',
    yaml: '',
    message: ['shipgate.yaml is empty: expected at least "app" and "provider"'],
  },
  {
    name: 'file with only comments',
    yaml: '# todo\n',
    message: ['shipgate.yaml is empty: expected at least "app" and "provider"'],
  },
  {
    name: 'bad environment variable name',
    yaml: 'app: demo\nprovider: { type: command, deploy: ["./deploy.sh"], env: { "my var": x } }\n',
    message: [HEAD, '  provider.env["my var"]: expected an environment variable name (got "my var")'],
  },
  {
    name: 'bad environment name',
    yaml: `${M}environments: { "pre prod": {}, production: {} }\n`,
    env: 'production',
    message: [HEAD, '  environments["pre prod"]: expected a name of letters, digits, ".", "_" or "-" (at most 63) (got "pre prod")'],
  },
  {
    name: '__proto__ is an unknown key, not a prototype',
    yaml: 'provider: { type: command, deploy: ["./deploy.sh"] }\n__proto__: { app: demo }\n',
    message: [
      HEAD,
      '  __proto__: unknown key (expected one of app, store, provider, build, rollout, gates, databases, notify, monitor, smoke, rollback, resume, services, secrets, timeout, environments)',
      '  app: is required (expected a name)',
    ],
  },
  {
    name: 'alias to a missing anchor',
    yaml: `${M}smoke: *tests\n`,
    message: ['shipgate.yaml is not valid YAML:', '  line 3, column 14: alias *tests has no anchor &tests before it'],
  },
  {
    name: 'alias bomb',
    yaml: 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    message: ['shipgate.yaml is not valid YAML:', '  more than 10000 values once aliases are expanded (expected a config of ordinary size)'],
  },
  {
    name: 'several errors at once, in document order',
    yaml: 'smoke: { name: api }\nrollbak: {}\napp: "my app"\nprovider: { type: command, deploy: ["./deploy.sh"], timeout: 10 }\n',
    message: [
      HEAD,
      '  smoke: expected a list (got a map)',
      '  rollbak: unknown key (did you mean "rollback"?)',
      '  app: expected a name of letters, digits, ".", "_" or "-" (at most 63) (got "my app")',
      '  provider.timeout: expected a duration like "10s", "5m" or "1h" (got 10)',
    ],
  },
];

describe('invalid configs', () => {
  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('$name', ({ yaml, env, vars, message }) => {
    const err = configErrorOf(yaml, env, vars ?? {});
    expect(err.message.split('\n')).toEqual(message);
  });

  it('keeps the issue lines apart from the heading', () => {
    const err = configErrorOf(`${M}smok: []\nrollback: { window: 10 }\n`);
    expect(err.issues).toEqual(['smok: unknown key (did you mean "smoke"?)', 'rollback.window: expected a duration like "10s", "5m" or "1h" (got 10)']);
  });
});

describe('invalid config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses what is not a regular file of ordinary size, without reading it (no hang on a FIFO or /dev/zero)', () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const huge = join(dir, 'huge.yaml');
    writeFileSync(huge, `app: demo\n#${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    const cases: [string, string][] = [
      [dir, 'it is a folder (expected a YAML file)'],
      [fifo, 'it is a FIFO (expected a YAML file)'],
      ['/dev/zero', 'it is a character device (expected a YAML file)'],
      [huge, `it is larger than ${MAX_CONFIG_BYTES} bytes (expected a config of ordinary size)`],
    ];
    for (const [configPath, why] of cases) {
      expect(() => loadConfig({ configPath, env: {} })).toThrow(new ConfigError(`cannot read config file ${configPath}: ${why}`));
    }
  });

  it('says where the missing file was looked for', () => {
    expect(() => loadConfig({ cwd: dir, configPath: 'shipgate.yaml' })).toThrow(new ConfigError(`no config file at ${join(dir, 'shipgate.yaml')} (create shipgate.yaml or pass --config FILE)`));
  });

  it('reports every environment at once from validateAllEnvironments', () => {
    const file = join(dir, 'several.yaml');
    writeFileSync(file, `${M}environments:\n  staging: { rollback: { window: soon } }\n  production: { smoke: [{ name: api, url: nowhere }] }\n`);
    const { environments, errors } = validateAllEnvironments({ configPath: file, env: {} });
    expect(environments).toEqual(['staging', 'production']);
    expect(errors.map((e) => e.message)).toEqual([
      `invalid config ${file} (environment "staging"):\n  environments.staging.rollback.window: expected a duration like "10s", "5m" or "1h" (got "soon")`,
      `invalid config ${file} (environment "production"):\n  environments.production.smoke[0].url: expected an http(s) URL (got "nowhere")`,
    ]);
  });
});

describe('a long secret in a bad value', () => {
  it('is masked before "(got …)" cuts it short: no piece of it shows', () => {
    const secret = `tok_${'a1b2c3d4e5'.repeat(8)}`;
    const err = configErrorOf(`${M}rollout: { strategy: "\${DEPLOY_TOKEN}" }\nnotify: [{ type: webhook, url: "https://example.com/\${DEPLOY_TOKEN}", on: ["\${DEPLOY_TOKEN}"] }]\n`, undefined, { DEPLOY_TOKEN: secret });
    const text = err.message + err.details.join('\n');
    expect(text).toMatch(/rollout\.strategy: expected one of .* \(got "\*\*\*"\)/);
    expect(text).toContain('notify[0].on[0]');
    for (let i = 0; i + 12 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 12));
  });
});
