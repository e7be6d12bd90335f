import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { MANIFEST_FILE } from '../../pipeline/release-manifest.js';
import type { KnownSecret } from '../contract.js';
import { findKnownSecrets, type Finding } from './findings.js';
import { lintTarget } from './secretlint.js';

/** A file with a NUL byte in its first part is binary: only rules that read binaries look at it. */
const BINARY_SNIFF_BYTES = 8000;

export function isBinary(content: Buffer): boolean {
  return content.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/** Regular files under `dir` (symlinks are not followed: what they point to inside the release is scanned as itself), as sorted paths relative to it, without the manifest. */
export async function releaseFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((p) => p !== MANIFEST_FILE)
    .sort();
}

export interface ReleaseScan {
  files: number;
  findings: Finding[];
}

/** Every file of a release through secretlint's recommended rules and the configured-secret rule. */
export async function scanRelease(dir: string, known: readonly KnownSecret[]): Promise<ReleaseScan> {
  const files = await releaseFiles(dir);
  const findings: Finding[] = [];
  for (const file of files) {
    const physicalPath = join(dir, file);
    const content = await readFile(physicalPath);
    findings.push(...(await lintTarget({ file, physicalPath, text: isBinary(content) ? null : content.toString('utf8') })));
    findings.push(...findKnownSecrets(file, content, known));
  }
  return { files: files.length, findings };
}

/** Files of a release holding a known secret's value verbatim (the audit's exposure check; no rules). */
export async function filesHolding(dir: string, known: readonly KnownSecret[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const file of await releaseFiles(dir)) findings.push(...findKnownSecrets(file, await readFile(join(dir, file)), known));
  return findings;
}
