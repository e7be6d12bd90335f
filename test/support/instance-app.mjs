// A tiny app for supervisor tests: an HTTP server on 127.0.0.1:$PORT.
//   GET /        -> "hello from <SHIPGATE_VERSION> on <PORT>"
//   GET /health  -> 200 "ok" (503 while UNHEALTHY_AFTER_MS..+UNHEALTHY_FOR_MS has it failing)
//   GET /pid     -> the process id
//   GET /log?line=TEXT -> prints TEXT on stdout (tests of log files)
//   GET /env?name=X -> the value of environment variable X;  GET /cwd -> the working directory
//   GET /child   -> pid of the child process started with FORK_CHILD=1
// Modes, by environment:
//   CRASH_ON_START=1     exit 3 at once, after a line on stderr
//   SLOW_START_MS=n      wait n ms before listening
//   CRASH_AFTER_MS=n     exit 1 n ms after listening
//   IGNORE_SIGTERM=1     ignore SIGTERM (the supervisor must SIGKILL)
//   LOG_LINES=n          print n numbered lines (odd ones on stderr) before listening
//   UNHEALTHY_AFTER_MS=n /health answers 503 from n ms after listening...
//   UNHEALTHY_FOR_MS=n   ...for n ms, then 200 again (default: for ever)
//   FORK_CHILD=1         start a child process that runs until killed (process-group tests)
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';

const env = process.env;
const port = Number(env.PORT);
const version = env.SHIPGATE_VERSION ?? '?';
const num = (name) => (env[name] === undefined ? null : Number(env[name]));

console.log(`app ${version} pid ${process.pid} starting on port ${port}`);
if (env.CRASH_ON_START === '1') {
  console.error(`app ${version}: crashing on start as asked`);
  process.exit(3);
}
for (let i = 1; i <= (num('LOG_LINES') ?? 0); i++) (i % 2 ? console.error : console.log)(`line ${i} of ${version}`);

const child = env.FORK_CHILD === '1' ? spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }) : null;

let listeningAt = 0;
const unhealthyAfter = num('UNHEALTHY_AFTER_MS');
const unhealthyFor = num('UNHEALTHY_FOR_MS');
function healthy() {
  if (unhealthyAfter === null) return true;
  const t = Date.now() - listeningAt;
  return t < unhealthyAfter || (unhealthyFor !== null && t >= unhealthyAfter + unhealthyFor);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/health') {
    const ok = healthy();
    res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'failing');
  } else if (url.pathname === '/pid') {
    res.end(String(process.pid));
  } else if (url.pathname === '/child') {
    res.end(String(child?.pid ?? ''));
  } else if (url.pathname === '/env') {
    res.end(env[url.searchParams.get('name') ?? ''] ?? '');
  } else if (url.pathname === '/cwd') {
    res.end(process.cwd());
  } else if (url.pathname === '/log') {
    console.log(url.searchParams.get('line') ?? '');
    res.end('logged');
  } else {
    res.end(`hello from ${version} on ${port}`);
  }
});

process.on('SIGTERM', () => {
  if (env.IGNORE_SIGTERM === '1') return console.log('SIGTERM ignored');
  console.log('SIGTERM: shutting down');
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
});

setTimeout(() => {
  server.listen(port, '127.0.0.1', () => {
    listeningAt = Date.now();
    console.log(`listening on ${port}`);
    const crashAfter = num('CRASH_AFTER_MS');
    if (crashAfter !== null) setTimeout(() => {
      console.error(`app ${version}: crashing after ${crashAfter}ms as asked`);
      process.exit(1);
    }, crashAfter);
  });
}, num('SLOW_START_MS') ?? 0);
