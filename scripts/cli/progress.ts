/**
 * A one-line progress bar on stderr for the CLIs: redrawn in place on a terminal, printed as a
 * line at most every 15 s (and on `persist`) when stderr is a file or pipe.
 */

/** `1h05m` / `3m07s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** `[#####.....]` for a share in [0, 1]. */
export function drawBar(share: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, share)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Returns `show(text, persist)`: persist keeps the line (a terminal starts a new one after it). */
export function createProgressLine(stream: NodeJS.WriteStream = process.stderr): (text: string, persist?: boolean) => void {
  let lastLine = 0;
  return (text, persist = false) => {
    if (stream.isTTY) {
      stream.write(`\r\x1b[2K${text}${persist ? '\n' : ''}`);
    } else if (persist || Date.now() - lastLine > 15_000) {
      lastLine = Date.now();
      stream.write(`${text}\n`);
    }
  };
}
