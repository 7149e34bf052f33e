import { describe, expect, it } from 'vitest';
import { formatTick, linearTicks, logTicks } from '@/lib/plots/axes';
import { lineChartSvg } from '@/lib/plots';
import { checkSvg, expectInside } from './svg-check';

describe('lineChartSvg', () => {
  const svg = lineChartSvg({
    title: 'Loss & accuracy <per epoch>',
    xLabel: 'epoch',
    yLabel: 'value',
    series: [
      { name: 'loss', points: [[1, 0.9], [2, 0.5], [3, 0.3]] },
      { name: 'val accuracy', points: [[1, 0.6], [2, 0.8], [3, Number.NaN], [4, 0.9]] },
    ],
  });

  it('is well-formed, self-contained and NaN-free, with escaped text and a legend', () => {
    const parsed = checkSvg(svg);
    expect(parsed).toMatchObject({ width: 640, height: 400 });
    expect(svg).toContain('font-family="sans-serif"');
    expect(svg).not.toMatch(/href=|@import|url\(/);
    expect(svg).toContain('Loss &amp; accuracy &lt;per epoch&gt;');
    expect(svg).toContain('>val accuracy</text>');
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expectInside(svg);
  });

  it('maps the data extremes onto the plot frame edges', () => {
    // x domain [1, 4] -> [64, 624]; y domain [0.3, 0.9] -> [356, 34]: (2, 0.5) -> (64 + 560/3, 356 - 322/3).
    expect(svg).toContain('points="64,34 250.67,248.67 437.33,356"');
  });

  it('draws log axes with decade ticks and skips non-positive points', () => {
    const log = lineChartSvg({
      title: 'ROC',
      xLabel: 'FAR',
      yLabel: 'TAR',
      logX: true,
      series: [{ name: 'roc', points: [[0, 0], [1e-4, 0.2], [1e-3, 0.5], [1e-2, 0.8], [1, 1]] }],
    });
    expectInside(log);
    for (const t of ['1e-4', '0.001', '0.01', '0.1', '1']) expect(log).toContain(`>${t}</text>`);
    expect(log.match(/<circle/g)).toHaveLength(4);
  });

  it('draws empty or constant series without NaN', () => {
    checkSvg(lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [] }));
    expectInside(lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'c', points: [[2, 5], [2, 5]] }] }));
  });
});

describe('ticks', () => {
  it.each([
    { name: 'linear 0..1', input: () => linearTicks(0, 1), expected: [0, 0.2, 0.4, 0.6, 0.8, 1] },
    { name: 'linear 0.3..0.9', input: () => linearTicks(0.3, 0.9), expected: [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] },
    { name: 'log 1e-4..1', input: () => logTicks(1e-4, 1), expected: [1e-4, 1e-3, 1e-2, 0.1, 1] },
    { name: 'log 1..50 adds 2x, 5x', input: () => logTicks(1, 50), expected: [1, 2, 5, 10, 20, 50] },
  ])('$name', ({ input, expected }) => {
    expect(input()).toEqual(expected);
  });

  it.each([
    { input: 0.001, expected: '0.001' },
    { input: 1.5e-5, expected: '1.5e-5' },
    { input: 2e6, expected: '2e6' },
    { input: 0.30000000000000004, expected: '0.3' },
  ])('formatTick($input) = $expected', ({ input, expected }) => {
    expect(formatTick(input)).toBe(expected);
  });
});
