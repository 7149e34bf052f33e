/**
 * ROC and DET charts of measured rates. Their axes are rates, so they span what the trials can
 * measure rather than the data's extent: a small gallery whose TAR is 1 everywhere still gets a
 * 0-1 axis (not 0.9-1.1), and its DET, with no false reject to put on a log axis, says so within
 * axes from 1/n to 1 (not an empty 1-10).
 */
import { lineChartSvg } from './line-chart';

/** A ROC curve: TAR at each FAR, as lib/calibration's `rocCurve` returns it. */
export interface RateCurve {
  far: readonly number[];
  tar: readonly number[];
}

/** Trial counts behind a curve: FAR is measured on impostor trials, TAR and FRR on genuine ones. */
export interface RateTrials {
  genuine: number;
  impostor: number;
}

/** Size and title of a rate chart. */
export interface RateChartOptions {
  title: string;
  width?: number;
  height?: number;
}

/**
 * Lower end of a log axis of rates from `trials` trials: the decade at or below 1/trials, the
 * smallest non-zero rate they can measure (at most 0.1, so the axis spans at least a decade).
 */
export function rateFloor(trials: number): number {
  return Math.min(0.1, 10 ** Math.floor(Math.log10(1 / Math.max(trials, 1))));
}

/** ROC: TAR (linear, 0 to 1) against FAR (log, from the impostor trials' floor to 1). */
export function rocSvg(curve: RateCurve, trials: RateTrials, opts: RateChartOptions): string {
  return lineChartSvg({
    ...opts,
    xLabel: 'false accept rate',
    yLabel: 'true accept rate',
    logX: true,
    xDomain: [rateFloor(trials.impostor), 1],
    yDomain: [0, 1],
    series: [{ name: 'ROC', points: curve.far.map((f, i) => [f, curve.tar[i]]) }],
    emptyText: `no false accepts in ${trials.impostor} impostor trials`,
  });
}

/** DET: FRR = 1 - TAR against FAR, both on log axes from their trials' floors to 1. */
export function detSvg(curve: RateCurve, trials: RateTrials, opts: RateChartOptions): string {
  return lineChartSvg({
    ...opts,
    xLabel: 'false accept rate',
    yLabel: 'false reject rate',
    logX: true,
    logY: true,
    xDomain: [rateFloor(trials.impostor), 1],
    yDomain: [rateFloor(trials.genuine), 1],
    series: [{ name: 'DET', points: curve.far.map((f, i) => [f, 1 - curve.tar[i]]) }],
    // Log axes cannot hold a rate of 0: a DET with no false reject and no false accept together is empty.
    emptyText: `no point with both rates above 0 (${trials.genuine} genuine, ${trials.impostor} impostor trials)`,
  });
}
