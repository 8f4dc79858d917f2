import { useNavigate, useSearch } from '@tanstack/react-router';
import { useMemo, useState } from 'react';
import { Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useVitals, useVitalSummary, type ChartRange } from '../api/queries.js';
import type { Vital } from '../api/types.js';
import { useSignedIn } from '../app/api-context.js';
import { CategoryBadge } from '../components/category-badge.js';
import { Choice, QueryState } from '../components/ui.js';
import { VitalChart, type ChartSeries } from '../components/vital-chart.js';
import { VitalForm } from '../components/vital-form.js';
import { YearHistory } from '../components/year-history.js';
import { isBpCategory } from '../domain/bp-category.js';
import { dateTimeText, readingText } from '../domain/format.js';
import { displayValue, isVitalKind, unitOf, type VitalKind } from '../domain/units.js';
import { languageOf } from '../i18n/index.js';

const unitStorageKey = 'tend.units';

/** The units a person chose per kind, remembered in this browser (a preference, nothing private). */
function useUnitChoice(): [Record<string, string>, (kind: VitalKind, unitId: string) => void] {
  const [units, setUnits] = useState<Record<string, string>>(() => {
    try {
      return JSON.parse(localStorage.getItem(unitStorageKey) ?? '{}') as Record<string, string>;
    } catch {
      return {};
    }
  });
  return [
    units,
    (kind, unitId) =>
      setUnits((current) => {
        const next = { ...current, [kind]: unitId };
        localStorage.setItem(unitStorageKey, JSON.stringify(next));
        return next;
      }),
  ];
}

/** Health: log a reading, see one kind over a week, a month or a year as a chart or a table, and the weekly summary. */
export function VitalsScreen() {
  const { t } = useTranslation();
  const search = useSearch({ from: '/signed-in/vitals' });
  const navigate = useNavigate();
  const kind: VitalKind = isVitalKind(search.kind) ? search.kind : 'blood_pressure';
  const [units, setUnit] = useUnitChoice();
  const unitId = unitOf(kind, units[kind]).id;
  const [range, setRange] = useState<ChartRange>('week');

  return (
    <div className="stack">
      <h1>{t('vitals.title')}</h1>
      <div className="grid">
        <VitalForm
          kind={kind}
          onKindChange={(next) => void navigate({ to: '/vitals', search: { kind: next }, replace: true })}
          unitId={unitId}
          onUnitChange={(id) => setUnit(kind, id)}
        />
        <WeeklySummary kind={kind} unitId={unitId} />
      </div>
      <section className="card stack" aria-labelledby="history-title">
        <h2 id="history-title">{t(`vitals.kind.${kind}`)}</h2>
        <Choice
          label={t('vitals.range')}
          name="range"
          value={range}
          onChange={setRange}
          options={(['week', 'month', 'year'] as const).map((id) => ({ id, label: t(`vitals.${id}`) }))}
        />
        {range === 'year' ? (
          <YearHistory kind={kind} unitId={unitId} />
        ) : (
          <History kind={kind} unitId={unitId} range={range} />
        )}
      </section>
    </div>
  );
}

/** The readings of one kind and period, as a chart and a table; also used for a caregiver's patient. */
export function History(props: { kind: VitalKind; unitId: string; range: ChartRange; patientId?: string }) {
  const { t, i18n } = useTranslation();
  const user = useSignedIn();
  const vitals = useVitals(props.kind, props.range, props.patientId);
  const language = languageOf(i18n.language);
  const unit = unitOf(props.kind, props.unitId);
  const series = useMemo((): ChartSeries[] => {
    const sorted = [...(vitals.data ?? [])].sort((a, b) => a.measuredAt.localeCompare(b.measuredAt));
    const xs = sorted.map((v) => Date.parse(v.measuredAt) / 1000);
    if (props.kind === 'blood_pressure')
      return [
        { label: t('vitals.systolic'), xs, ys: sorted.map((v) => displayValue(v.systolic ?? 0, unit)) },
        { label: t('vitals.diastolic'), xs, ys: sorted.map((v) => displayValue(v.diastolic ?? 0, unit)) },
      ];
    return [{ label: t(`vitals.kind.${props.kind}`), xs, ys: sorted.map((v) => displayValue(v.value ?? 0, unit)) }];
  }, [vitals.data, props.kind, unit, t]);

  return (
    <QueryState
      isPending={vitals.isPending}
      error={vitals.error}
      onRetry={() => void vitals.refetch()}
      isEmpty={vitals.data?.length === 0}
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
            label={t('vitals.chartLabel', { kind: t(`vitals.kind.${props.kind}`), range: t(`vitals.${props.range}`) })}
          />
          <p className="muted small">{t('vitals.normalRange')}</p>
        </TabPanel>
        <TabPanel id="table">
          <ReadingTable
            vitals={vitals.data ?? []}
            kind={props.kind}
            unitId={unit.id}
            timeZone={user?.timeZone ?? 'UTC'}
            language={language}
          />
        </TabPanel>
      </Tabs>
    </QueryState>
  );
}

function ReadingTable(props: { vitals: Vital[]; kind: VitalKind; unitId: string; timeZone: string; language: string }) {
  const { t } = useTranslation();
  return (
    <div className="table-wrap">
      <table>
        <caption>{t('vitals.tableCaption', { kind: t(`vitals.kind.${props.kind}`) })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('vitals.when')}</th>
            <th scope="col">{t('vitals.reading')}</th>
            {props.kind === 'blood_pressure' && <th scope="col">{t('vitals.category')}</th>}
          </tr>
        </thead>
        <tbody>
          {props.vitals.slice(0, 500).map((vital) => (
            <tr key={vital.id}>
              <td>{dateTimeText(vital.measuredAt, props.timeZone, props.language)}</td>
              <td>{readingText(vital, props.unitId)}</td>
              {props.kind === 'blood_pressure' && (
                <td>{isBpCategory(vital.bpCategory) && <CategoryBadge category={vital.bpCategory} />}</td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WeeklySummary({ kind, unitId }: { kind: VitalKind; unitId: string }) {
  const { t } = useTranslation();
  const summary = useVitalSummary(kind);
  const data = summary.data;
  const count = typeof data?.count === 'number' ? data.count : 0;
  const unit = unitOf(kind, unitId);
  const stat = (key: 'mean' | 'min' | 'max'): string => {
    if (kind === 'blood_pressure') {
      const sys = (data?.systolic as Record<string, number> | undefined)?.[key] ?? 0;
      const dia = (data?.diastolic as Record<string, number> | undefined)?.[key] ?? 0;
      return `${displayValue(sys, unit)}/${displayValue(dia, unit)} ${unit.id}`;
    }
    return readingText({ kind, value: typeof data?.[key] === 'number' ? data[key] : 0 }, unitId);
  };
  return (
    <section className="card" aria-labelledby="summary-title">
      <h2 id="summary-title">
        {t('vitals.summary')}: {t(`vitals.kind.${kind}`)}
      </h2>
      <QueryState
        isPending={summary.isPending}
        error={summary.error}
        onRetry={() => void summary.refetch()}
        isEmpty={count === 0}
        empty={t('vitals.none')}
      >
        <p className="big">
          {t('vitals.summaryLine', { count, mean: stat('mean'), min: stat('min'), max: stat('max') })}
        </p>
        {isBpCategory(data?.bpCategory) && <CategoryBadge category={data.bpCategory} />}
      </QueryState>
    </section>
  );
}
