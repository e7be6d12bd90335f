import type { lintSource as LintSource } from '@secretlint/core';
import { fingerprintOf, type Finding } from './findings.js';

/**
 * secretlint with its recommended preset, run in-process. The AWS rule also looks
 * for access key ids (`AKIA…`), which the preset leaves off by default: an id
 * shipped in an artifact is a leak too. Its messages quote the secret, so only the
 * rule, the place and a fingerprint of the text are kept.
 */

type LintOptions = Parameters<typeof LintSource>[0]['options'];

const PRESET_ID = '@secretlint/secretlint-rule-preset-recommend';
const RULE_PREFIX = '@secretlint/secretlint-rule-';

interface Linter {
  lintSource: typeof LintSource;
  config: LintOptions['config'];
}

let linter: Promise<Linter> | null = null;

/** secretlint and its preset, loaded on first use: a deploy without the secrets gate does not pay for them. */
function loadLinter(): Promise<Linter> {
  linter ??= Promise.all([import('@secretlint/core'), import('@secretlint/secretlint-rule-preset-recommend')]).then(([core, preset]) => ({
    lintSource: core.lintSource,
    config: { rules: [{ id: PRESET_ID, rule: preset.creator, rules: [{ id: `${RULE_PREFIX}aws`, options: { enableIDScanRule: true } }] }] },
  }));
  return linter;
}

export interface LintTarget {
  /** Shown in findings (relative path). */
  file: string;
  /** Where the file is on disk (rules that read the file itself, like the p12 one); null for text from git. */
  physicalPath: string | null;
  /** Text content, or null for a binary file. */
  text: string | null;
}

/** `@secretlint/secretlint-rule-aws` + `AWSAccessKeyID` -> `aws/AWSAccessKeyID`. */
export function ruleName(ruleId: string, messageId: string): string {
  const short = ruleId.startsWith(RULE_PREFIX) ? ruleId.slice(RULE_PREFIX.length) : ruleId;
  return `${short}/${messageId}`;
}

export async function lintTarget(target: LintTarget): Promise<Finding[]> {
  const content = target.text ?? '';
  const dot = target.file.lastIndexOf('.');
  const { lintSource, config } = await loadLinter();
  const result = await lintSource({
    source: { content, filePath: target.physicalPath ?? target.file, ext: dot > target.file.lastIndexOf('/') ? target.file.slice(dot) : '', contentType: target.text === null ? 'binary' : 'text' },
    options: { config, maskSecrets: true, noPhysicFilePath: target.physicalPath === null },
  });
  return result.messages.map((m) => {
    const rule = ruleName(m.ruleId, m.messageId);
    return { file: target.file, line: m.loc.start.line, rule, fingerprint: fingerprintOf(rule, target.file, content.slice(m.range[0], m.range[1])) };
  });
}
