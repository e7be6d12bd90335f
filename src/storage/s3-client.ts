/** The S3 client's settings, decided from the storage config alone (pure, so tests pin them). */
import type { S3ClientConfig } from '@aws-sdk/client-s3';

export const DEFAULT_S3_REGION = 'us-east-1';

export interface S3ClientSettings {
  region?: string;
  /** An S3-compatible endpoint (MinIO, R2, Ceph...); unset means AWS itself. */
  endpoint?: string;
}

/**
 * No credentials here on purpose: the SDK's default chain finds them (environment,
 * profiles, instance roles), so they never pass through shipgate's config or records.
 */
export function s3ClientConfig(settings: S3ClientSettings): S3ClientConfig {
  const region = settings.region ?? DEFAULT_S3_REGION;
  if (settings.endpoint === undefined) return { region };
  return {
    region,
    endpoint: settings.endpoint,
    // Third-party servers rarely answer bucket-named hostnames (bucket.host:port).
    forcePathStyle: true,
    // Since early 2025 the SDK adds CRC32 checksums to every upload (streamed bodies
    // then go out as aws-chunked with a trailing checksum) and checks them on
    // downloads. Many S3-compatible servers reject or mis-store those requests; with
    // WHEN_REQUIRED the SDK sends checksums only where the S3 API demands them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}
