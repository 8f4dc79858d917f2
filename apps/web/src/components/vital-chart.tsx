import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { categoryStyle, systolicBands } from '../domain/bp-category.js';
import { chartScale, decimate, normalRanges } from '../domain/chart-scale.js';
import { unitOf, type VitalKind } from '../domain/units.js';

/** One line of the chart: seconds since the epoch and values in the display unit. */
export interface ChartSeries {
  label: string;
  xs: number[];
  ys: number[];
}

/** Points drawn per series at most: more than a wide screen has pixels adds nothing but time. */
const maxPoints = 2000;

/**
 * Readings over time, drawn with uPlot on a canvas (fast enough for a year of readings every
 * five minutes), the normal range shaded and, for blood pressure, the ACC/AHA bands behind the
 * lines. The canvas is a picture for sighted readers; the same data is in the table view.
 */
export function VitalChart(props: { kind: VitalKind; unitId: string; series: ChartSeries[]; label: string }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const target = host.current;
    if (!target) return undefined;
    const unit = unitOf(props.kind, props.unitId);
    const normal = normalRanges[props.kind];
    const shown = normal && { low: unit.fromCanonical(normal.low), high: unit.fromCanonical(normal.high) };
    const thinned = props.series.map((s) => decimate(s.xs, s.ys, maxPoints));
    // uPlot wants one x axis for every series: merge the timestamps, gaps as null.
    const xs = [...new Set(thinned.flatMap(([x]) => x))].sort((a, b) => a - b);
    const columns = thinned.map(([x, y]) => {
      const byX = new Map(x.map((t, i) => [t, y[i]!]));
      return xs.map((t) => byX.get(t) ?? null);
    });
    const scale = chartScale(
      thinned.flatMap(([, y]) => y),
      shown,
    );
    const colours = ['#0b3d8c', '#8c2f0b'];
    const bands = (u: uPlot) => {
      const { ctx } = u;
      const { left, top, width, height } = u.bbox;
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, top, width, height);
      ctx.clip();
      const fill = (low: number, high: number, colour: string) => {
        const y1 = u.valToPos(high, 'y', true);
        const y2 = u.valToPos(low, 'y', true);
        ctx.fillStyle = colour;
        ctx.fillRect(left, y1, width, y2 - y1);
      };
      if (props.kind === 'blood_pressure') {
        for (const band of systolicBands) {
          ctx.globalAlpha = 0.14;
          fill(unit.fromCanonical(band.from), unit.fromCanonical(band.to), categoryStyle(band.category).background);
        }
      } else if (shown) {
        ctx.globalAlpha = 0.18;
        fill(shown.low, shown.high, '#1e7b34');
      }
      ctx.restore();
    };
    const width = Math.max(280, target.clientWidth);
    const chart = new uPlot(
      {
        width,
        height: Math.round(Math.min(360, width * 0.6)),
        scales: { x: { time: true }, y: { range: () => [scale.min, scale.max] } },
        axes: [
          { stroke: '#1a1a1a', grid: { stroke: '#d0d0d0' }, font: '14px system-ui' },
          { stroke: '#1a1a1a', grid: { stroke: '#d0d0d0' }, font: '14px system-ui', label: unit.id, size: 60 },
        ],
        series: [
          {},
          ...props.series.map((s, i) => ({
            label: s.label,
            stroke: colours[i % colours.length],
            width: 2,
            spanGaps: true,
            points: { show: xs.length < 200, size: 7 },
          })),
        ],
        hooks: { drawClear: [bands] },
        legend: { show: true },
      },
      [xs, ...columns] as uPlot.AlignedData,
      target,
    );
    const resize = new ResizeObserver(() => {
      const w = Math.max(280, target.clientWidth);
      chart.setSize({ width: w, height: Math.round(Math.min(360, w * 0.6)) });
    });
    resize.observe(target);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [props.kind, props.unitId, props.series]);

  return <div ref={host} className="chart" role="img" aria-label={props.label} />;
}
