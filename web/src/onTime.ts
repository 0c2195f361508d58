// The on-time rate (维修及时率) of the orders resolved in a period, by crew, region or type:
// the period in the browser's days, the rows worst first, the chart.

import type { components } from './api.gen'

export type OnTimeRow = components['schemas']['OnTimeRow']
export type OnTimeBy = 'group' | 'region' | 'order_type'
export type PeriodKind = 'this_month' | 'last_month' | 'last_7_days' | 'custom'

/** Below this rate a row is shown in red. */
export const GOAL = 0.9
/** The longest period the server reports on. */
export const MAX_DAYS = 400

/**
 * The period as `[from_ms, to_ms)`, whole days in the browser's time zone: this month (to
 * its end), last month, the last 7 days with today, or the days picked (both included).
 */
export function period(kind: PeriodKind, now: Date, picked?: [Date, Date] | null): [number, number] | null {
  const y = now.getFullYear()
  const m = now.getMonth()
  const d = now.getDate()
  switch (kind) {
    case 'this_month': return [new Date(y, m, 1).getTime(), new Date(y, m + 1, 1).getTime()]
    case 'last_month': return [new Date(y, m - 1, 1).getTime(), new Date(y, m, 1).getTime()]
    case 'last_7_days': return [new Date(y, m, d - 6).getTime(), new Date(y, m, d + 1).getTime()]
    case 'custom': {
      if (!picked?.[0] || !picked[1]) return null
      const [a, b] = picked
      const from = new Date(a.getFullYear(), a.getMonth(), a.getDate()).getTime()
      const to = new Date(b.getFullYear(), b.getMonth(), b.getDate() + 1).getTime()
      return to > from ? [from, to] : null
    }
  }
}

/** Whether the server would refuse the period as too long. */
export const tooLong = ([from, to]: [number, number]) => to - from > MAX_DAYS * 86_400_000

/** A row as the table shows it. */
export interface OnTimeLine {
  key: string
  name: string
  resolved: number
  on_time: number
  /** Resolved past their limit. */
  late: number
  without_limit: number
  rate: number | null
}

/** The rows named, worst rate first (rows with nothing to judge last), then the busiest. */
export function onTimeLines(rows: OnTimeRow[], name: (key: string) => string): OnTimeLine[] {
  return rows
    .map((r) => ({
      key: r.key,
      name: name(r.key),
      resolved: r.resolved,
      on_time: r.on_time,
      late: Math.max(0, r.resolved - r.on_time - r.without_limit),
      without_limit: r.without_limit,
      rate: r.rate ?? null,
    }))
    .sort((a, b) => (a.rate ?? Infinity) - (b.rate ?? Infinity) || b.resolved - a.resolved || a.name.localeCompare(b.name))
}

export const below = (rate: number | null) => rate != null && rate < GOAL

/** 0.8534 → 85.3 (for the chart). */
const pct = (rate: number) => Math.round(rate * 1000) / 10

/** The rates as horizontal bars, worst at the top, red below the goal. */
export function onTimeOption(lines: OnTimeLine[], t: (key: string, args?: Record<string, unknown>) => string) {
  const shown = lines.filter((l) => l.rate != null)
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => (v == null ? '—' : `${v}%`) },
    grid: { left: 150, right: 56, top: 24, bottom: 24 },
    xAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', inverse: true, data: shown.map((l) => l.name), axisLabel: { width: 140, overflow: 'truncate' } },
    series: [
      {
        name: t('orders.onTime.rate'),
        type: 'bar',
        barMaxWidth: 22,
        label: { show: true, position: 'right', formatter: '{c}%' },
        data: shown.map((l) => ({ value: pct(l.rate!), itemStyle: { color: below(l.rate) ? '#f56c6c' : '#67c23a' } })),
        markLine: {
          symbol: 'none',
          silent: true,
          lineStyle: { type: 'dashed', color: '#e6a23c' },
          label: { formatter: t('orders.onTime.goal', { n: GOAL * 100 }), color: '#e6a23c', position: 'end' },
          data: [{ xAxis: GOAL * 100 }],
        },
      },
    ],
  }
}
