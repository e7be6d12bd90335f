import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isLoopbackListen } from '../../../src/agent/loopback.js';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '[::ffff:7f00:1]'])('%s is loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '', '10.0.0.1', '128.0.0.1', '192.168.1.1', '::ffff:10.0.0.1', 'fe80::1%eth0', 'example.com', 'localhost.evil.test', '127.1', '127.0.0.1.nip.io'])('%s is not', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });

  it('reads listen addresses: an empty host means every interface', () => {
    expect(isLoopbackListen('127.0.0.1:7070')).toBe(true);
    expect(isLoopbackListen('[::1]:7070')).toBe(true);
    expect(isLoopbackListen(':7070')).toBe(false);
    expect(isLoopbackListen('0.0.0.0:7070')).toBe(false);
  });
});
