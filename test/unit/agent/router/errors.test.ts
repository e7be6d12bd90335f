import { describe, expect, it } from 'vitest';
import { BackendState } from '../../../../src/agent/router/backend.js';
import { bodyTooLarge, describeUpstreamError, HEADERS_TIMEOUT, PROTOCOL, RESET, upstreamError, upstreamFailure } from '../../../../src/agent/router/errors.js';

const err = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('router error texts', () => {
  it('names the instance, its address and what happened', () => {
    const b = new BackendState({ id: 'v1.2.0-2', version: 'v1.2.0', host: '127.0.0.1', port: 41234, ready: true, draining: false });
    expect(b.label).toBe('v1.2.0/instance 2 (127.0.0.1:41234)');
    expect(upstreamError(err('ECONNREFUSED'), b.label)).toEqual({ status: 502, code: 'upstream-connect', message: 'upstream v1.2.0/instance 2 (127.0.0.1:41234): connection refused' });
    expect(upstreamError(err('ECONNREFUSED'), b.label, 'v1.2.0/instance 1 (127.0.0.1:41233)').message).toBe(
      'upstream v1.2.0/instance 2 (127.0.0.1:41234): connection refused; first tried v1.2.0/instance 1 (127.0.0.1:41233): connection refused',
    );
  });

  it('labels ids that do not start with the version, and IPv6 hosts', () => {
    expect(new BackendState({ id: 'web-7', version: 'v2', host: '::1', port: 80, ready: true, draining: false }).label).toBe('v2/instance web-7 ([::1]:80)');
  });

  it("classifies socket errors and the router's own", () => {
    expect(describeUpstreamError(err('ECONNRESET'))).toMatchObject({ status: 502, code: 'upstream-reset', refused: false });
    expect(describeUpstreamError(upstreamFailure(RESET, 'closed'))).toMatchObject({ status: 502, code: 'upstream-reset', reason: 'connection closed before a complete response' });
    expect(describeUpstreamError(upstreamFailure(HEADERS_TIMEOUT, 'late'))).toMatchObject({ status: 504, code: 'upstream-timeout', reason: 'no response in time' });
    expect(describeUpstreamError(err('ETIMEDOUT'))).toMatchObject({ status: 502, code: 'upstream-connect', reason: 'connect timed out' });
    expect(describeUpstreamError(upstreamFailure(PROTOCOL, 'a malformed status line'))).toMatchObject({ status: 502, code: 'upstream-protocol', reason: 'invalid response: a malformed status line' });
    expect(describeUpstreamError(new Error('odd'))).toMatchObject({ status: 502, code: 'upstream-error', reason: 'odd' });
    expect(bodyTooLarge(1024).message).toBe('request body over the limit of 1024 bytes');
  });
});
