/** The S3 client's settings, decided from the storage config alone (pure, so tests pin them). */
import type { S3ClientConfig } from '@aws-sdk/client-s3';

export const DEFAULT_S3_REGION = 'us-east-1';

export interface S3ClientSettings {
  /** Region of the bucket. @default 'us-east-1' */
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
    // Since v3.729.0 (January 2025) the SDK adds a CRC32 checksum header to every
    // upload (and asks for CRC32 on multipart uploads) and validates checksums of
    // downloads. Servers that do not know these headers fail every upload (Cloudflare
    // R2 answered 501 NotImplemented for x-amz-checksum-crc32); WHEN_REQUIRED sends
    // checksums only where the S3 API demands them. AWS itself keeps the defaults.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}
