#!/usr/bin/env node
// The demo's build: copies the app into dist/ (the release artifact), with the
// faults of this version if the demo wrote any into faults.json.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
cpSync('server.js', 'dist/server.js');
cpSync('package.json', 'dist/package.json');
if (existsSync('faults.json')) cpSync('faults.json', 'dist/faults.json');
console.log(`built ${process.env.SHIPGATE_VERSION}`);
