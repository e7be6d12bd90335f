// An S3-compatible server for the storage tests: s3rver on 127.0.0.1, a free port,
// data in the folder given as the first argument. Prints {"port":N} once listening,
// then one {"event","bucket","key"} line per object written or removed (the tests
// wait on these instead of sleeping). Exits when its stdin closes (the test process
// ended) or on SIGTERM.
//
// Run with node --openssl-legacy-provider: s3rver makes its ListObjectsV2 continuation
// tokens with DES, which OpenSSL 3 only offers through its legacy provider.
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) {
  process.stderr.write('usage: s3rver-entry.mjs DATA_DIR\n');
  process.exit(2);
}
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
server.on('event', (e) => {
  const record = e.Records[0];
  process.stdout.write(`${JSON.stringify({ event: record.eventName, bucket: record.s3.bucket.name, key: record.s3.object.key })}\n`);
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);

const stop = () => server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
