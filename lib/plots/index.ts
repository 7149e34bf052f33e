/** SVG charts for training reports: pure string output, no fonts or files needed. */
export { lineChartSvg, type LineChartOptions } from './line-chart';
export { histogramSvg, binShares, type HistogramOptions } from './histogram';
export { rocSvg, detSvg, rateFloor, type RateCurve, type RateTrials, type RateChartOptions } from './rate-curves';
