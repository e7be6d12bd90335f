import { describe, expect, it } from 'vitest';
import { parseCrashPoint } from '../../../src/pipeline/journal.js';

describe('parseCrashPoint (the SHIPGATE_CRASH_AFTER test hook)', () => {
  it('a plain key means its first occurrence', () => {
    expect(parseCrashPoint('stage:finished:build')).toEqual({ key: 'stage:finished:build', nth: 1 });
    expect(parseCrashPoint('reject:step:output:deploy:deploy')).toEqual({ key: 'reject:step:output:deploy:deploy', nth: 1 });
  });

  it('#N picks the N-th occurrence', () => {
    expect(parseCrashPoint('stage:noted:migrate#3')).toEqual({ key: 'stage:noted:migrate', nth: 3 });
    expect(parseCrashPoint('reject:process:started:backup#2')).toEqual({ key: 'reject:process:started:backup', nth: 2 });
  });

  it('#0 is no occurrence number: the whole value is the key', () => {
    expect(parseCrashPoint('stage:noted:migrate#0')).toEqual({ key: 'stage:noted:migrate#0', nth: 1 });
  });
});
