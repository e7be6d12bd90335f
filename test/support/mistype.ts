/** `key` with the bech32 character at `at` changed to a different one of the set (the key may already hold any letter there). */
export function mistype(key: string, at: number): string {
  const c = key[at]!;
  const swap = c === 'q' ? 'p' : c === 'Q' ? 'P' : /[A-Z]/.test(c) ? 'Q' : 'q';
  return key.slice(0, at) + swap + key.slice(at + 1);
}
