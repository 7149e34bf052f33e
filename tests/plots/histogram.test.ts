import { describe, expect, it } from 'vitest';
import { binShares, histogramSvg } from '@/lib/plots';
import { expectInside } from './svg-check';

describe('binShares', () => {
  it('puts each value in its bin, the maximum in the last bin, and sums to 1', () => {
    // bins of width 0.25 over [0, 1]: 0 -> 0, 0.3 -> 1, 0.5 -> 2, 1 -> 3 (closed last bin)
    expect(binShares([0, 0.3, 0.5, 1, Number.NaN], 0, 1, 4)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(binShares([], 0, 1, 3)).toEqual([0, 0, 0]);
  });
});

describe('histogramSvg', () => {
  const svg = histogramSvg({
    title: 'Distances',
    xLabel: 'Euclidean distance',
    series: [
      { name: 'genuine', values: [0.2, 0.3, 0.35, 0.4] },
      { name: 'impostor', values: Float64Array.from([0.9, 1.0, 1.1, 1.2, 1.25, 1.3, 1.4, 1.6]) },
    ],
    bins: 10,
    markers: [
      { x: 0.6, label: 'max bal. acc.' },
      { x: 0.5, label: 'FAR 1e-2' },
    ],
  });

  it('is well-formed and NaN-free with every coordinate inside the viewBox', () => {
    expectInside(svg);
  });

  it('draws one bar per occupied bin, dashed markers with labels, and a legend', () => {
    // Range [0.2, 1.6], width 0.14: genuine bins 0, 0, 1, 1 -> 2 bars; impostor bins 4,5,6,7,7,7,8,9 -> 6 bars.
    expect(svg.match(/fill-opacity="0.45" stroke="#/g)?.length).toBe(2 + 6 + 2);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2);
    expect(svg).toContain('>max bal. acc.</text>');
    expect(svg).toContain('>FAR 1e-2</text>');
    expect(svg).toContain('>impostor</text>');
  });
});
