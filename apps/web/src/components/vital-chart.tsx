import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { categoryStyle, systolicBands } from '../domain/bp-category.js';
import { chartScale, normalRanges, thinToColumns } from '../domain/chart-scale.js';
import { unitOf, type VitalKind } from '../domain/units.js';

/**
 * One line of the chart: seconds since the epoch and values in the display unit. A line of
 * daily means also carries each day's lowest and highest reading, drawn as a band around it.
 */
export interface ChartSeries {
  label: string;
  xs: number[];
  ys: number[];
  range?: { lows: number[]; highs: number[]; lowLabel: string; highLabel: string };
}

/** Room the vertical axis takes from the chart's width, in CSS pixels. */
const axisWidth = 60;

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
    const width = Math.max(280, target.clientWidth);
    // A line never needs more points than its pixel columns can show (4 each): a year of
    // readings every five minutes becomes a few thousand points, once per data or unit change.
    const thinned = props.series.map((s) =>
      s.range ? ([s.xs, s.ys] as const) : thinToColumns(s.xs, s.ys, width - axisWidth),
    );
    // uPlot wants one x axis for every series: merge the timestamps, gaps as null.
    const xs = [...new Set(thinned.flatMap(([x]) => x))].sort((a, b) => a - b);
    const aligned = (x: readonly number[], y: readonly number[]) => {
      const byX = new Map(x.map((t, i) => [t, y[i]!]));
      return xs.map((t) => byX.get(t) ?? null);
    };
    const colours = ['#0b3d8c', '#8c2f0b'];
    const lines: uPlot.Series[] = [];
    const columns: (number | null)[][] = [];
    const bands: uPlot.Band[] = [];
    props.series.forEach((s, i) => {
      const [x, y] = thinned[i]!;
      const colour = colours[i % colours.length]!;
      lines.push({
        label: s.label,
        stroke: colour,
        width: 2,
        spanGaps: true,
        points: { show: xs.length < 200, size: 7 },
      });
      columns.push(aligned(x, y));
      if (!s.range) return;
      // The day's range: two hairlines and the area between them, the mean drawn over it.
      for (const [label, values] of [
        [s.range.highLabel, s.range.highs],
        [s.range.lowLabel, s.range.lows],
      ] as const) {
        lines.push({ label, stroke: colour, width: 0.5, spanGaps: true, points: { show: false } });
        columns.push(aligned(s.xs, values));
      }
      bands.push({ series: [lines.length - 1, lines.length], fill: `${colour}33` });
    });
    const scale = chartScale(
      columns.flatMap((column) => column.filter((v): v is number => v !== null)),
      shown,
    );
    const drawBands = (u: uPlot) => {
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
    const chart = new uPlot(
      {
        width,
        height: Math.round(Math.min(360, width * 0.6)),
        scales: { x: { time: true }, y: { range: () => [scale.min, scale.max] } },
        axes: [
          { stroke: '#1a1a1a', grid: { stroke: '#d0d0d0' }, font: '14px system-ui' },
          { stroke: '#1a1a1a', grid: { stroke: '#d0d0d0' }, font: '14px system-ui', label: unit.id, size: axisWidth },
        ],
        series: [{}, ...lines],
        bands,
        hooks: { drawClear: [drawBands] },
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
