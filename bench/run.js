#!/usr/bin/env node
// @ts-check
/**
 * Benchmark dispatcher: `npm run bench -- <name> [--json] [--runs N]` runs
 * `bench/<name>.js` as a child process with the remaining arguments and exits
 * with its exit code. Every `bench/*.js` file except this one is a benchmark;
 * shared helpers live in `bench/lib/`. An unknown or missing name lists the
 * available benchmarks and exits 2.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const SELF = basename(fileURLToPath(import.meta.url));
const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;
const EXIT_USAGE = 2;

/** @returns {string[]} benchmark names, sorted */
function availableBenches() {
  return readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.js') && f !== SELF && NAME_RE.test(f.slice(0, -3)))
    .map((f) => f.slice(0, -3))
    .sort();
}

/**
 * The first line of the file's header comment after `@ts-check`, shown in the list.
 * @param {string} name
 */
function describe(name) {
  const lines = readFileSync(join(BENCH_DIR, `${name}.js`), 'utf8').split('\n');
  const line = lines.find((l) => /^\s*(\/\/|\/\*\*|\*)\s*\S/.test(l) && !l.includes('@ts-check') && !l.startsWith('#!'));
  return line ? line.replace(/^\s*(\/\/|\/\*\*|\*)\s*/, '').replace(`${name}: `, '').trim() : '';
}

/** @param {(text: string) => void} write */
function printUsage(write) {
  write('usage: npm run bench -- <name> [--json] [--runs N]\n\navailable benchmarks:\n');
  for (const name of availableBenches()) write(`  ${name.padEnd(16)} ${describe(name)}\n`);
}

/** @returns {Promise<number>} */
async function main() {
  const [name, ...rest] = process.argv.slice(2);
  if (name === '--help' || name === '-h') {
    printUsage((t) => process.stdout.write(t));
    return 0;
  }
  if (name === undefined || !NAME_RE.test(name) || !existsSync(join(BENCH_DIR, `${name}.js`)) || `${name}.js` === SELF) {
    process.stderr.write(name === undefined ? 'bench: name a benchmark\n' : `bench: unknown benchmark "${name}"\n`);
    printUsage((t) => process.stderr.write(t));
    return EXIT_USAGE;
  }
  return runChild(join(BENCH_DIR, `${name}.js`), rest);
}

/**
 * Runs a benchmark file and resolves to its exit code. Ctrl-C reaches the
 * benchmark through the terminal's process group, so the dispatcher just waits
 * for it to clean up; a SIGTERM sent to the dispatcher alone is passed on.
 * @param {string} file
 * @param {string[]} args
 * @returns {Promise<number>}
 */
function runChild(file, args) {
  const child = spawn(process.execPath, [file, ...args], { stdio: 'inherit' });
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`bench: cannot run ${basename(file)}: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      if (signal) process.stderr.write(`bench: ${basename(file)} was killed by ${signal}\n`);
      resolve(code ?? 1);
    });
  });
}

process.exitCode = await main();
