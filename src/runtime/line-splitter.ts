/**
 * Splitting a child's output into lines, in linear time and bounded memory.
 *
 * The obvious `rest + chunk`, then split, copies and rescans the whole partial
 * line for every chunk: quadratic, so a 200 MB line without a newline took more
 * than ten minutes. Here a partial line is a list of pieces joined once, when its
 * newline arrives, and only its first `maxChars` characters are kept: the rest is
 * counted and named by a marker at the end of the line.
 */

/** Characters of one line kept in memory; past this the line is cut (with a marker). */
export const DEFAULT_MAX_LINE_CHARS = 1024 * 1024;

const MARKER_RE = / \[… (\d+) bytes cut by shipgate\]$/;

/** The marker ending a line whose last `bytes` bytes (UTF-8) were cut. */
export function cutMarker(bytes: number): string {
  return ` [… ${bytes} bytes cut by shipgate]`;
}

/** The first `max` characters of `text`, never ending inside a surrogate pair. */
function head(text: string, max: number): string {
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * `text` cut to `max` characters, with a marker naming how many bytes were cut.
 * A line already cut (by a {@link LineSplitter}) keeps one marker, counting both cuts.
 */
export function capLine(text: string, max: number): string {
  if (text.length <= max) return text;
  const earlier = MARKER_RE.exec(text);
  const body = earlier ? text.slice(0, earlier.index) : text;
  const kept = head(body, max);
  const cut = Buffer.byteLength(body) - Buffer.byteLength(kept) + (earlier ? Number(earlier[1]) : 0);
  return kept + cutMarker(cut);
}

/**
 * Feed it chunks of decoded text (whole characters, as a UTF-8 decoder gives them);
 * it calls `onLine` once per line, without the line break (`\n` or `\r\n`).
 */
export class LineSplitter {
  private pieces: string[] = [];
  private keptChars = 0;
  private cutBytes = 0;
  /** Whether the text so far ends with `\r` (kept or cut): dropped if `\n` follows. */
  private endsWithCR = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxChars = DEFAULT_MAX_LINE_CHARS,
  ) {}

  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.add(chunk.slice(start, nl));
      this.emit(true);
      start = nl + 1;
    }
    this.add(chunk.slice(start));
  }

  /** The output ended: a last line without a newline still counts. */
  end(): void {
    if (this.pieces.length > 0 || this.cutBytes > 0) this.emit(false);
  }

  private add(text: string): void {
    if (text === '') return;
    this.endsWithCR = text.endsWith('\r');
    // Once a line is cut, nothing after the cut is kept.
    const room = this.cutBytes > 0 ? 0 : this.maxChars - this.keptChars;
    const kept = text.length <= room ? text : room > 0 ? head(text, room) : '';
    if (kept !== '') {
      this.pieces.push(kept);
      this.keptChars += kept.length;
    }
    if (kept.length < text.length) this.cutBytes += Buffer.byteLength(kept.length === 0 ? text : text.slice(kept.length));
  }

  private emit(beforeNewline: boolean): void {
    let line = this.pieces.join('');
    let cut = this.cutBytes;
    if (beforeNewline && this.endsWithCR) {
      if (cut > 0) cut -= 1;
      else line = line.slice(0, -1);
    }
    this.pieces = [];
    this.keptChars = 0;
    this.cutBytes = 0;
    this.endsWithCR = false;
    this.onLine(cut > 0 ? line + cutMarker(cut) : line);
  }
}
