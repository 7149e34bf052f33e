// ROC and DET of a small gallery (issue 16, section 7): the axes span rates, not the data's extent.
// Before, a gallery whose genuine trials all pass drew its ROC on a 0.9-1.1 y axis and an empty DET
// on 1-10 axes. The curves come from the same rocCurve the calibration report uses.
import { describe, expect, it } from 'vitest';
import { detSvg, rateFloor, rocSvg } from '@/lib/plots';
import { rocCurve } from '@/lib/calibration';
import { expectInside as inside } from './svg-check';

/** Tick labels of the y axis (text-anchor="end") and x axis (text-anchor="middle", below the frame). */
function ticks(svg: string): { x: string[]; y: string[] } {
  const y = [...svg.matchAll(/<text [^>]*text-anchor="end" font-size="11">([^<]*)<\/text>/g)].map((m) => m[1]);
  const x = [...svg.matchAll(/<text [^>]*text-anchor="middle" font-size="11">([^<]*)<\/text>/g)].map((m) => m[1]);
  return { x, y };
}

// A small gallery: 3 identities x 2 examples -> 6 genuine and 6 impostor trials, fully separated.
const separated = { genuine: [0.2, 0.25, 0.3, 0.3, 0.35, 0.4], impostor: [0.8, 0.85, 0.9, 0.95, 1.0, 1.1] };
// A larger one with overlap: 40 genuine, 300 impostor trials.
const overlapping = {
  genuine: Array.from({ length: 40 }, (_, i) => 0.3 + i * 0.01),
  impostor: Array.from({ length: 300 }, (_, i) => 0.6 + i * 0.002),
};
const opts = { title: 't', width: 480, height: 340 };

describe('rateFloor', () => {
  it.each([
    { name: '6 trials', input: 6, expected: 0.1 },
    { name: '10 trials', input: 10, expected: 0.1 },
    { name: '24 trials', input: 24, expected: 0.01 },
    { name: '300 trials', input: 300, expected: 0.001 },
    { name: 'no trials', input: 0, expected: 0.1 },
  ])('$name -> $expected', ({ input, expected }) => {
    expect(rateFloor(input)).toBe(expected);
  });
});

describe('rocSvg', () => {
  it('puts a small gallery whose TAR is 1 on a 0-1 TAR axis and a FAR axis from 1/n to 1', () => {
    const svg = rocSvg(rocCurve(separated.genuine, separated.impostor, 200), { genuine: 6, impostor: 6 }, opts);
    inside(svg);
    expect(ticks(svg).y).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1']);
    expect(ticks(svg).x).toEqual(['0.1', '0.2', '0.5', '1']);
    expect(svg).toMatch(/<polyline points="[^"]+"/);
  });

  it('draws an overlapping gallery within the same kind of axes', () => {
    const svg = rocSvg(rocCurve(overlapping.genuine, overlapping.impostor, 200), { genuine: 40, impostor: 300 }, opts);
    inside(svg);
    expect(ticks(svg).y.at(-1)).toBe('1');
    expect(ticks(svg).x).toEqual(['0.001', '0.01', '0.1', '1']);
  });
});

describe('detSvg', () => {
  it('says why a small gallery with no false reject draws no curve, within 1/n-1 axes', () => {
    const svg = detSvg(rocCurve(separated.genuine, separated.impostor, 200), { genuine: 6, impostor: 6 }, opts);
    inside(svg);
    expect(svg).not.toContain('<polyline');
    expect(svg).toContain('no point with both rates above 0 (6 genuine, 6 impostor trials)');
    expect(ticks(svg).y).toEqual(['0.1', '0.2', '0.5', '1']);
    expect(ticks(svg).x).toEqual(['0.1', '0.2', '0.5', '1']);
  });

  it('draws the curve of an overlapping gallery, every point inside the frame', () => {
    const svg = detSvg(rocCurve(overlapping.genuine, overlapping.impostor, 200), { genuine: 40, impostor: 300 }, opts);
    inside(svg);
    expect(svg).toMatch(/<polyline points="[^"]+"/);
    expect(svg).not.toContain('no point with both rates');
    expect(ticks(svg).y).toEqual(['0.01', '0.1', '1']);
  });
});
