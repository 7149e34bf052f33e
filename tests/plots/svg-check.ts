/** Test helper: a strict little well-formedness check for the SVG our charts emit. */
import { expect } from 'vitest';

export function checkSvg(svg: string): { width: number; height: number; coordinates: number[][] } {
  if (/NaN|undefined|Infinity/.test(svg)) throw new Error('SVG contains NaN/undefined/Infinity');
  const stack: string[] = [];
  const tagRe = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(svg)) !== null) {
    const between = svg.slice(last, m.index);
    if (/[<>]/.test(between)) throw new Error(`malformed markup near: ${between.slice(0, 60)}`);
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(between)) throw new Error(`unescaped & in text: ${between}`);
    last = tagRe.lastIndex;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!selfClosing) stack.push(name);
  }
  if (/[<>]/.test(svg.slice(last))) throw new Error('trailing markup');
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  const vb = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  if (!vb) throw new Error('no viewBox');
  const coordinates: number[][] = [];
  for (const a of svg.matchAll(/\s(x|x1|x2|cx)="(-?[\d.]+)"\s[^>]*?\b(y|y1|y2|cy)="(-?[\d.]+)"/g)) coordinates.push([Number(a[2]), Number(a[4])]);
  for (const p of svg.matchAll(/points="([^"]*)"/g)) {
    for (const pair of p[1].trim().split(/\s+/)) coordinates.push(pair.split(',').map(Number));
  }
  return { width: Number(vb[1]), height: Number(vb[2]), coordinates };
}

/** Fails unless every drawn coordinate of `svg` (checked by `checkSvg`) lies inside its viewBox. */
export function expectInside(svg: string): void {
  const { width, height, coordinates } = checkSvg(svg);
  expect(coordinates.length).toBeGreaterThan(0);
  for (const [x, y] of coordinates) {
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThanOrEqual(width);
    expect(y).toBeGreaterThanOrEqual(0);
    expect(y).toBeLessThanOrEqual(height);
  }
}
