import { describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../../src/storage/s3-client.js';

describe('s3ClientConfig', () => {
  it('for AWS: the region only (credentials from the SDK chain, default checksums)', () => {
    expect(s3ClientConfig({ region: 'eu-west-1' })).toEqual({ region: 'eu-west-1' });
    expect(s3ClientConfig({})).toEqual({ region: 'us-east-1' });
  });

  it('for an S3-compatible endpoint: path-style addressing and checksums only where required', () => {
    expect(s3ClientConfig({ region: 'auto', endpoint: 'https://minio.internal:9000' })).toEqual({
      region: 'auto',
      endpoint: 'https://minio.internal:9000',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
});
