import { describe, expect, it } from 'vitest';
import { decodeImage, svgToPng } from '@/lib/imaging';
import { histogramSvg, lineChartSvg } from '@/lib/plots';

describe('rasterising the charts with sharp (what the training report does)', () => {
  it.each([
    { name: 'line chart', svg: () => lineChartSvg({ title: 'ROC', xLabel: 'FAR', yLabel: 'TAR', logX: true, series: [{ name: 'm', points: [[1e-3, 0.5], [1e-2, 0.8], [1, 1]] }] }) },
    { name: 'histogram', svg: () => histogramSvg({ title: 'd', xLabel: 'x', series: [{ name: 'g', values: [0.1, 0.2] }], markers: [{ x: 0.15, label: 't' }] }) },
  ])('$name renders to a 640x400 PNG with ink on it', async ({ svg }) => {
    const img = await decodeImage(new Uint8Array(await svgToPng(svg())));
    expect([img.width, img.height]).toEqual([640, 400]);
    let dark = 0;
    for (let i = 0; i < img.data.length; i += img.channels) if (img.data[i] < 128) dark++;
    expect(dark).toBeGreaterThan(500);
  });
});
