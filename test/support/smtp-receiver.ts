/** A local SMTP server for notification tests (smtp-server, each mail parsed with mailparser); it wants login `mailer`. */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export const SMTP_TEST_PASSWORD = 'smtp-pass-0451';

export async function smtpReceiver(password = SMTP_TEST_PASSWORD): Promise<{ url: string; mails: ParsedMail[]; raw: string[]; server: SMTPServer }> {
  const mails: ParsedMail[] = [];
  const raw: string[] = [];
  const server = new SMTPServer({
    authOptional: false,
    disabledCommands: ['STARTTLS'],
    onAuth: (auth, _s, cb) => (auth.username === 'mailer' && auth.password === password ? cb(null, { user: 'mailer' }) : cb(new Error('bad login'))),
    onData: (stream, _s, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        raw.push(text);
        void simpleParser(text).then((m) => (mails.push(m), cb()));
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://mailer:${password}@127.0.0.1:${port}`, mails, raw, server };
}
