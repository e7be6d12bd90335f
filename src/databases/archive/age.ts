import { Duplex } from 'node:stream';
import { Decrypter, Encrypter } from 'age-encryption';

/**
 * Archives encrypted to age recipients (https://age-encryption.org/v1), with
 * the age author's TypeScript implementation (`age-encryption`). It streams:
 * its payload is ChaCha20-Poly1305 in 64 KiB chunks over web streams, so at
 * most a chunk or two is held in memory whatever the archive's size. These
 * wrap it as Node transforms for the archive pipeline, and turn its errors
 * into messages that say what is wrong with the archive.
 */

/** Plaintext in, an age file for `recipients` (`age1…`) out. */
export function createAgeEncryptor(recipients: readonly string[]): Duplex {
  const encrypter = new Encrypter();
  for (const r of recipients) encrypter.addRecipient(r);
  const input = new TransformStream<Uint8Array, Uint8Array>();
  return webDuplex(input.writable, encrypter.encrypt(input.readable), (err) => (err instanceof Error ? err : new Error(String(err))));
}

/**
 * An age file in, plaintext out. Fails naming the cause: none of `identities`
 * (`AGE-SECRET-KEY-1…`) opens the file, its header is damaged, or its payload
 * was altered or cut.
 */
export function createAgeDecryptor(identities: readonly string[]): Duplex {
  const decrypter = new Decrypter();
  for (const i of identities) decrypter.addIdentity(i);
  const input = new TransformStream<Uint8Array, Uint8Array>();
  return webDuplex(input.writable, decrypter.decrypt(input.readable), explainDecryptError);
}

/** The message of a decryption failure; `inHeader` when the payload had not started. */
export function explainDecryptError(err: unknown, inHeader: boolean): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (inHeader && /no identity matched/.test(message)) return new Error("the age identity matches none of this archive's recipients (it was encrypted for another key, or its header was altered)", { cause: err });
  if (inHeader) return new Error(`not an age archive, or its header is damaged (${message})`, { cause: err });
  return new Error('the archive failed authentication (it was altered, damaged or truncated)', { cause: err });
}

/**
 * A Node duplex that writes into `writable` and reads the stream `output`
 * resolves to (the library reads or writes the age header before it hands
 * the payload stream over). Not `Duplex.fromWeb`: on Node 20 its write path
 * turns a failed write into an unhandled rejection, which would end the process.
 */
function webDuplex(writable: WritableStream<Uint8Array>, output: Promise<ReadableStream<Uint8Array>>, explain: (err: unknown, inHeader: boolean) => Error): Duplex {
  const writer = writable.getWriter();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  // Until the first read, nobody awaits `output`: its rejection is reported by `read`.
  output.catch(() => undefined);
  const settle = (p: Promise<unknown>, done: (err?: Error | null) => void): void => {
    p.then(() => done(), (err: unknown) => done(err as Error));
  };
  return new Duplex({
    write(chunk: Buffer, _enc, done) {
      settle(writer.write(chunk), done);
    },
    final(done) {
      settle(writer.close(), done);
    },
    read() {
      const next = async (): Promise<Uint8Array | null> => {
        reader ??= (await output).getReader();
        const r = await reader.read();
        return r.done ? null : r.value;
      };
      next().then(
        (chunk) => this.push(chunk),
        (err: unknown) => this.destroy(explain(err, reader === undefined)),
      );
    },
    destroy(err, done) {
      writer.abort(err ?? undefined).catch(() => undefined);
      if (reader) reader.cancel(err ?? undefined).catch(() => undefined);
      else output.then((s) => s.cancel(err ?? undefined), () => undefined).catch(() => undefined);
      done(err);
    },
  });
}
