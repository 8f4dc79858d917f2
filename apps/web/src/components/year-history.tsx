import { useMemo } from 'react';
import { Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useVitalDays } from '../api/queries.js';
import type { VitalDay, VitalStats } from '../api/types.js';
import { displayValue, unitOf, type VitalKind } from '../domain/units.js';
import { languageOf } from '../i18n/index.js';
import { QueryState } from './ui.js';
import { VitalChart, type ChartSeries } from './vital-chart.js';

/** Seconds since the epoch of a local day's midday, where its point sits on the time axis. */
function dayX(startDate: string): number {
  return Date.parse(`${startDate}T12:00:00Z`) / 1000;
}

/**
 * A year of one kind, one point per day: the day's average as the line, its lowest to highest
 * reading as a band, and the same days as a table. Whatever the number of readings, the browser
 * gets at most 366 days, so a year of readings every five minutes draws as fast as a sparse one.
 */
export function YearHistory(props: { kind: VitalKind; unitId: string }) {
  const { t, i18n } = useTranslation();
  const days = useVitalDays(props.kind);
  const unit = unitOf(props.kind, props.unitId);
  const kindName = t(`vitals.kind.${props.kind}`);

  const series = useMemo((): ChartSeries[] => {
    const list = days.data ?? [];
    const xs = list.map((day) => dayX(day.startDate));
    const line = (label: string, stats: (day: VitalDay) => VitalStats | undefined): ChartSeries => {
      const of = (pick: (s: VitalStats) => number) => list.map((day) => displayValue(pick(stats(day) ?? zero), unit));
      return {
        label: t('vitals.daily', { kind: label }),
        xs,
        ys: of((s) => s.mean),
        range: {
          lows: of((s) => s.min),
          highs: of((s) => s.max),
          lowLabel: t('vitals.dailyLowest', { kind: label }),
          highLabel: t('vitals.dailyHighest', { kind: label }),
        },
      };
    };
    if (props.kind === 'blood_pressure')
      return [line(t('vitals.systolic'), (day) => day.systolic), line(t('vitals.diastolic'), (day) => day.diastolic)];
    return [line(kindName, (day) => day.value)];
  }, [days.data, props.kind, unit, kindName, t]);

  return (
    <QueryState
      isPending={days.isPending}
      error={days.error}
      onRetry={() => void days.refetch()}
      isEmpty={days.data?.length === 0}
      empty={t('vitals.none')}
    >
      <Tabs>
        <TabList aria-label={t('vitals.range')} className="tabs">
          <Tab id="chart">{t('vitals.chart')}</Tab>
          <Tab id="table">{t('vitals.table')}</Tab>
        </TabList>
        <TabPanel id="chart">
          <VitalChart
            kind={props.kind}
            unitId={unit.id}
            series={series}
            label={t('vitals.chartLabel', { kind: kindName, range: t('vitals.year') })}
          />
          <p className="muted small">
            {t('vitals.yearNote')} {t('vitals.normalRange')}
          </p>
        </TabPanel>
        <TabPanel id="table">
          <DayTable days={days.data ?? []} kind={props.kind} unitId={unit.id} language={languageOf(i18n.language)} />
        </TabPanel>
      </Tabs>
    </QueryState>
  );
}

const zero: VitalStats = { min: 0, max: 0, mean: 0 };

function DayTable(props: { days: VitalDay[]; kind: VitalKind; unitId: string; language: string }) {
  const { t } = useTranslation();
  const unit = unitOf(props.kind, props.unitId);
  const dateFormat = new Intl.DateTimeFormat(props.language === 'zh' ? 'zh-CN' : 'en', {
    timeZone: 'UTC',
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  });
  const text = (day: VitalDay, pick: (s: VitalStats) => number): string => {
    if (props.kind === 'blood_pressure')
      return `${displayValue(pick(day.systolic ?? zero), unit)}/${displayValue(pick(day.diastolic ?? zero), unit)} ${unit.id}`;
    return `${displayValue(pick(day.value ?? zero), unit)} ${unit.id}`;
  };
  return (
    <div className="table-wrap">
      <table>
        <caption>{t('vitals.dayCaption', { kind: t(`vitals.kind.${props.kind}`) })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('vitals.day')}</th>
            <th scope="col">{t('vitals.count')}</th>
            <th scope="col">{t('vitals.mean')}</th>
            <th scope="col">{t('vitals.lowHigh')}</th>
          </tr>
        </thead>
        <tbody>
          {[...props.days].reverse().map((day) => (
            <tr key={day.startDate}>
              <td>{dateFormat.format(new Date(`${day.startDate}T12:00:00Z`))}</td>
              <td>{day.count}</td>
              <td>{text(day, (s) => s.mean)}</td>
              <td>
                {text(day, (s) => s.min)} – {text(day, (s) => s.max)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
