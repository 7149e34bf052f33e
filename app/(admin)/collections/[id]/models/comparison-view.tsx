// Candidate vs current on the same examples (held-out gallery identities, or held-out images of the
// identities the candidate trained on): AUC, EER, threshold, TAR and FAR at each one's threshold
// with 95% intervals, both ROC curves on one plot, and the AUC gain's interval.
import { LineChart } from '@/app/_components/line-chart';
import type { ModelComparison, ModelScore } from '@/lib/matching';

const pct = (r: { value: number; lo: number; hi: number }) => `${(r.value * 100).toFixed(1)}% (95% ${(r.lo * 100).toFixed(1)}–${(r.hi * 100).toFixed(1)})`;

function Row({ label, pick, c }: { label: string; pick: (s: ModelScore) => string; c: ModelComparison }) {
  return (
    <tr className="border-t border-slate-100">
      <th scope="row" className="py-1 pr-4 text-left font-normal text-slate-600">{label}</th>
      <td className="py-1 pr-4">{pick(c.current)}</td>
      <td className="py-1">{pick(c.candidate)}</td>
    </tr>
  );
}

/** The comparison table and ROC plot, titled by what was queried (`what`). */
export function ComparisonView({ c, title, what, testId }: { c: ModelComparison; title: string; what: string; testId: string }) {
  return (
    <div className="space-y-3" data-testid={testId}>
      <h3 className="font-medium">{title}</h3>
      <p className="text-sm text-slate-600">
        {c.identities} {what}: {c.genuineTrials} genuine and {c.impostorTrials} impostor trials, target FAR {c.targetFar}.
      </p>
      <table className="w-full text-sm">
        <thead>
          <tr className="text-left text-slate-500">
            <th />
            <th className="pr-4 font-medium">current <span className="font-mono text-xs">{c.current.version}</span></th>
            <th className="font-medium">candidate <span className="font-mono text-xs">{c.candidate.version}</span></th>
          </tr>
        </thead>
        <tbody>
          <Row c={c} label="AUC" pick={(s) => s.auc.toFixed(4)} />
          <Row c={c} label="EER" pick={(s) => s.eer.toFixed(4)} />
          <Row c={c} label="threshold (its own)" pick={(s) => s.threshold.toFixed(4)} />
          <Row c={c} label="TAR at threshold" pick={(s) => `${pct(s.tar)}, n=${s.tar.n}`} />
          <Row c={c} label="FAR at threshold" pick={(s) => `${pct(s.far)}, n=${s.far.n}`} />
        </tbody>
      </table>
      <p className="text-sm" data-testid="auc-gain">
        AUC gain {c.aucGain.value >= 0 ? '+' : ''}{c.aucGain.value.toFixed(4)} (95% {c.aucGain.lo.toFixed(4)} to {c.aucGain.hi.toFixed(4)}, paired bootstrap)
      </p>
      <LineChart
        testId="roc-both"
        title={`ROC: ${title.toLowerCase()}`}
        xLabel="false accept rate (log)"
        yLabel="true accept rate"
        logX
        yRange={[0, 1]}
        series={[
          { name: `current (AUC ${c.current.auc.toFixed(3)})`, points: c.current.roc, color: '#64748b' },
          { name: `candidate (AUC ${c.candidate.auc.toFixed(3)})`, points: c.candidate.roc, color: '#D55E00' },
        ]}
      />
    </div>
  );
}
