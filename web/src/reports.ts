// Reports (报表) and their glossary (指标口径): the choices the toolbar offers, values as
// people read them (percent, m:ss), which way a change is better, periods in the tenant's
// zone, the date presets, and the trend chart as an ECharts option.

import type { components } from './api.gen'

type Schemas = components['schemas']
export type ReportBody = Schemas['ReportBody']
export type ReportLine = Schemas['ReportLine']
export type Glossary = Schemas['Glossary']
export type MetricDef = Schemas['MetricDef']
export type ReportDefinitions = Schemas['ReportDefinitions']
export type ReportSettings = Schemas['ReportSettings']
export type SlFormula = Schemas['SlFormula']

export type Unit = 'count' | 'ratio' | 'seconds' | 'score'

export const GRANULARITIES = ['half_hour', 'hour', 'day', 'week', 'month', 'year', 'total'] as const
export type By = (typeof GRANULARITIES)[number]

/** The dimensions the toolbar offers (`agent_reason`, agent × reason, is the API's only). */
export const DIMS = [
  'all', 'queue', 'skill', 'agent', 'team', 'dialled', 'segment', 'ivr_node', 'ivr_edge', 'disposition', 'reason',
  'order_group', 'journey',
] as const
export type Dim = (typeof DIMS)[number]

/** What a report shows until someone picks otherwise. */
export const DEFAULT_METRICS = [
  'offered', 'answered', 'abandoned', 'short_abandoned', 'answer_rate', 'service_level',
  'asa', 'aht', 'avg_talk', 'transferred_out', 'fcr', 'satisfaction',
]

/** What the trend chart draws, asked for whatever the table shows. */
export const CHART_METRICS = ['offered', 'answered', 'abandoned', 'service_level']

export const SL_FORMULAS: SlFormula[] = ['answered_or_abandoned_in_t', 'answered_only', 'answered_in_t_over_all', 'abandoned_after_t']

/** The service-level and short-abandon times one can choose (the server's THRESHOLDS_S). */
export const THRESHOLDS_S = [5, 10, 15, 20, 25, 30, 40, 45, 60, 90, 120, 180, 300]

/** The choices with `current` among them when a document holds another value. */
export function choicesWith(choices: number[], current: number | null | undefined): number[] {
  return current == null || choices.includes(current) ? choices : [...choices, current].sort((a, b) => a - b)
}

/** Where fewer is better: waits, abandons, repeats, passing calls on. */
export const LOWER_IS_BETTER = new Set([
  'abandoned', 'short_abandoned', 'abandon_rate', 'asa', 'aht', 'avg_abandon_wait', 'max_wait', 'repeat_rate',
  'transfer_rate', 'transferred_out', 'avg_hold', 'avg_ring', 'avg_acw', 'flowed_out', 'voicemail', 'not_ready_time',
])

/** Where more is better. The rest (volumes, talk, time signed in, occupancy) is neither. */
export const HIGHER_IS_BETTER = new Set([
  'answered', 'answer_rate', 'service_level', 'fcr', 'satisfaction', 'avg_score', 'outbound_answered', 'utilisation',
  'on_time_rate', 'closed_loop_rate', 'orders_resolved', 'leads_won', 'lead_amount', 'lead_conversion',
])

/** 1 where a rise is good, -1 where a fall is, 0 where neither is. */
export function direction(key: string): 1 | -1 | 0 {
  if (LOWER_IS_BETTER.has(key)) return -1
  if (HIGHER_IS_BETTER.has(key)) return 1
  return 0
}

/** 65 → "1:05", 3723 → "1:02:03" (seconds, rounded). */
export function formatSeconds(s: number): string {
  const whole = Math.max(0, Math.round(s))
  const h = Math.floor(whole / 3600)
  const m = Math.floor((whole % 3600) / 60)
  const sec = String(whole % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** A value as the report shows it; none (nothing to divide by) is "—", never 0 %. */
export function formatValue(v: number | null | undefined, unit: string): string {
  if (v == null || !Number.isFinite(v)) return '—'
  switch (unit) {
    case 'ratio': return `${(v * 100).toFixed(1)}%`
    case 'seconds': return formatSeconds(v)
    case 'score': return v.toFixed(2)
    default: return grouped.format(Math.round(v))
  }
}

export interface Change {
  arrow: '▲' | '▼' | ''
  /** Green, red or grey. */
  tone: 'better' | 'worse' | 'neutral'
  /** Percentage points for ratios, percent of the previous for counts and times, else the difference. */
  mode: 'pp' | 'pct' | 'abs' | 'same'
  /** Without its sign (the arrow says it). */
  amount: number
}

/** The change from the period before, or none when either has no value. */
export function compare(key: string, unit: string, current: number | null | undefined, previous: number | null | undefined): Change | null {
  if (current == null || previous == null || !Number.isFinite(current) || !Number.isFinite(previous)) return null
  const diff = current - previous
  if (Math.abs(diff) < 1e-9) return { arrow: '', tone: 'neutral', mode: 'same', amount: 0 }
  const d = direction(key)
  const tone = d === 0 ? 'neutral' : Math.sign(diff) === d ? 'better' : 'worse'
  const arrow = diff > 0 ? '▲' : '▼'
  if (unit === 'ratio') return { arrow, tone, mode: 'pp', amount: Math.abs(diff) * 100 }
  if ((unit === 'count' || unit === 'seconds') && previous !== 0) return { arrow, tone, mode: 'pct', amount: Math.abs(diff / previous) * 100 }
  return { arrow, tone, mode: 'abs', amount: Math.abs(diff) }
}

/**
 * A change as the card shows it: "▲ 2.1 pp", "▼ 12.5%", "▲ 0:15"; `pp` is the words for
 * percentage points, `same` for no change.
 */
export function changeText(c: Change | null, unit: string, words: { pp: string; same: string }): string {
  if (!c) return '—'
  switch (c.mode) {
    case 'same': return words.same
    case 'pp': return `${c.arrow} ${c.amount.toFixed(1)}${words.pp}`
    case 'pct': return `${c.arrow} ${c.amount.toFixed(1)}%`
    case 'abs': return `${c.arrow} ${unit === 'ratio' ? c.amount.toFixed(1) : formatValue(c.amount, unit)}`
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()

/** The wall-clock parts of an instant in a time zone (the browser's when the zone is unknown). */
export function partsIn(ms: number, zone?: string): { y: string; m: string; d: string; hh: string; mm: string; weekday: number } {
  const id = zone ?? ''
  let f = formatters.get(id)
  if (!f) {
    const opts: Intl.DateTimeFormatOptions = {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short', hourCycle: 'h23',
    }
    try {
      f = new Intl.DateTimeFormat('en-US', { ...opts, timeZone: zone || undefined })
    } catch {
      f = new Intl.DateTimeFormat('en-US', opts)
    }
    formatters.set(id, f)
  }
  const p: Record<string, string> = {}
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = part.value
  const hh = p.hour === '24' ? '00' : p.hour
  return { y: p.year, m: p.month, d: p.day, hh, mm: p.minute, weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.weekday) }
}

/**
 * A period's first instant as the report names it, in the tenant's zone: "2026-12-01 08:30"
 * (short: "12-01 08:30"), "2026-12-01", "2026-12", "2026"; "" for the whole range.
 */
export function periodLabel(ms: number, by: string, zone?: string, short = false): string {
  const p = partsIn(ms, zone)
  switch (by) {
    case 'half_hour':
    case 'hour': return short ? `${p.m}-${p.d} ${p.hh}:${p.mm}` : `${p.y}-${p.m}-${p.d} ${p.hh}:${p.mm}`
    case 'month': return `${p.y}-${p.m}`
    case 'year': return p.y
    case 'total': return ''
    default: return short ? `${p.m}-${p.d}` : `${p.y}-${p.m}-${p.d}`
  }
}

/** Today in a time zone: "2026-12-01". */
export function todayIn(zone?: string, now: Date = new Date()): string {
  const p = partsIn(now.getTime(), zone)
  return `${p.y}-${p.m}-${p.d}`
}

export type Preset = 'today' | 'yesterday' | 'thisWeek' | 'thisMonth' | 'lastMonth' | 'thisYear'
export const PRESETS: Preset[] = ['today', 'yesterday', 'thisWeek', 'thisMonth', 'lastMonth', 'thisYear']

const civil = (day: string) => {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d))
}
const iso = (d: Date) => d.toISOString().slice(0, 10)
/** The day `n` days after `day` (before, for a negative `n`). */
export const addDays = (day: string, n: number) => {
  const d = civil(day)
  d.setUTCDate(d.getUTCDate() + n)
  return iso(d)
}

/** The days of a preset, both included, from `today` ("2026-12-01"); weeks begin on Monday. */
export function presetRange(p: Preset, today: string): [string, string] {
  const d = civil(today)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth()
  switch (p) {
    case 'today': return [today, today]
    case 'yesterday': return [addDays(today, -1), addDays(today, -1)]
    case 'thisWeek': return [addDays(today, -((d.getUTCDay() + 6) % 7)), today]
    case 'thisMonth': return [iso(new Date(Date.UTC(y, m, 1))), today]
    case 'lastMonth': return [iso(new Date(Date.UTC(y, m - 1, 1))), iso(new Date(Date.UTC(y, m, 0)))]
    case 'thisYear': return [iso(new Date(Date.UTC(y, 0, 1))), today]
  }
}

/** Days from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): number {
  return Math.round((civil(to).getTime() - civil(from).getTime()) / 86_400_000) + 1
}

/** Why the server would refuse the range, or null: half hours and hours for 62 days, anything for three years. */
export function rangeProblem(from: string, to: string, by: string): 'order' | 'tooLong' | 'tooLongHours' | null {
  const days = daysBetween(from, to)
  if (days < 1) return 'order'
  if (days > 3 * 366) return 'tooLong'
  if ((by === 'half_hour' || by === 'hour') && days > 62) return 'tooLongHours'
  return null
}

export interface ReportQuery {
  from: string
  to: string
  by: string
  dim: string
  keys: string[]
  metrics: string[]
}

/** The query string of `/api/reports` and its export. */
export function reportParams(q: ReportQuery, format?: 'xlsx' | 'csv'): string {
  const p = new URLSearchParams({ from: q.from, to: q.to, by: q.by, dim: q.dim })
  if (q.keys.length) p.set('keys', q.keys.join(','))
  if (q.metrics.length) p.set('metrics', q.metrics.join(','))
  if (format) p.set('format', format)
  return p.toString()
}

/** The metrics to ask for: those shown, then those the chart needs. */
export function askedMetrics(shown: string[], known?: Set<string>): string[] {
  const all = [...shown, ...CHART_METRICS.filter((m) => !shown.includes(m))]
  return known ? all.filter((m) => known.has(m)) : all
}

/** Compares two values with the empty ones last whichever way the column is sorted. */
export function compareValues(a: number | string | null | undefined, b: number | string | null | undefined, descending: boolean): number {
  const none = (v: unknown) => v == null || (typeof v === 'number' && !Number.isFinite(v))
  if (none(a) && none(b)) return 0
  if (none(a)) return 1
  if (none(b)) return -1
  const c = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))
  return descending ? -c : c
}

/** The value of `metric` in a line of `body`, or none. */
export function valueOf(body: Pick<ReportBody, 'metrics'>, line: ReportLine | undefined, metric: string): number | null {
  const i = body.metrics.indexOf(metric)
  return i < 0 || !line ? null : line.values[i] ?? null
}

/** For the chart: percent for ratios (one decimal), whole seconds, the rest as it is. */
function chartValue(v: number | null, unit: string): number | null {
  if (v == null) return null
  if (unit === 'ratio') return Math.round(v * 1000) / 10
  if (unit === 'seconds') return Math.round(v)
  return v
}

export interface TrendNames {
  /** A key's name. */
  key: (key: string) => string
  metric: (key: string) => string
  unit: (key: string) => string
  /** A period's name on the axis. */
  period: (ms: number) => string
}

/**
 * The trend as an ECharts option: with one key (the center, or a key drilled into), the
 * offered, answered and abandoned calls as bars and the service level as a line on a second
 * axis, by period (by key for the whole range); with several keys, `focus` a line per key
 * (the eight biggest). `mode` changes when the series do (to draw the chart anew).
 */
export function trendOption(body: ReportBody, names: TrendNames, focus: string): { mode: string; option: Record<string, unknown> } | null {
  const keys = [...new Set(body.rows.map((r) => r.key))]
  if (!body.rows.length) return null
  const fmt = (unit: string) => (v: unknown) => (v == null ? '—' : unit === 'ratio' ? `${v}%` : unit === 'seconds' ? formatSeconds(Number(v)) : String(v))
  const byKey = body.by === 'total' && keys.length > 1
  if (keys.length <= 1 || byKey) {
    const lines = byKey ? body.rows : [...body.rows].sort((a, b) => a.period_ms - b.period_ms)
    const bars = ['offered', 'answered', 'abandoned'].filter((m) => body.metrics.includes(m))
    const sl = body.metrics.includes('service_level')
    if (!bars.length && !sl) return null
    const colors: Record<string, string> = { offered: '#409eff', answered: '#67c23a', abandoned: '#f56c6c', service_level: '#e6a23c' }
    return {
      mode: `one:${byKey ? 'keys' : 'periods'}:${bars.join(',')}:${sl}`,
      option: {
        tooltip: { trigger: 'axis' },
        legend: { top: 0, type: 'scroll' },
        grid: { left: 48, right: sl ? 52 : 16, top: 36, bottom: 28, containLabel: true },
        xAxis: { type: 'category', data: lines.map((l) => (byKey ? names.key(l.key) : names.period(l.period_ms))), axisLabel: { hideOverlap: true } },
        yAxis: [
          { type: 'value', minInterval: 1 },
          ...(sl ? [{ type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' }, splitLine: { show: false } }] : []),
        ],
        series: [
          ...bars.map((m) => ({
            name: names.metric(m), type: 'bar', barMaxWidth: 28, itemStyle: { color: colors[m] },
            data: lines.map((l) => valueOf(body, l, m)),
          })),
          ...(sl ? [{
            name: names.metric('service_level'), type: 'line', yAxisIndex: bars.length ? 1 : 0, smooth: false, connectNulls: false,
            itemStyle: { color: colors.service_level }, tooltip: { valueFormatter: fmt('ratio') },
            data: lines.map((l) => chartValue(valueOf(body, l, 'service_level'), 'ratio')),
          }] : []),
        ],
      },
    }
  }
  const metric = body.metrics.includes(focus) ? focus : body.metrics[0]
  const unit = names.unit(metric)
  const total = (k: string) => valueOf(body, body.totals.find((l) => l.key === k), metric) ?? -Infinity
  const top = [...keys].sort((a, b) => total(b) - total(a)).slice(0, 8)
  const periods = [...new Set(body.rows.map((r) => r.period_ms))].sort((a, b) => a - b)
  const at = new Map(body.rows.map((r) => [`${r.key}\u0000${r.period_ms}`, r]))
  return {
    mode: `keys:${metric}:${top.join(',')}`,
    option: {
      tooltip: { trigger: 'axis', valueFormatter: fmt(unit) },
      legend: { top: 0, type: 'scroll' },
      grid: { left: 48, right: 16, top: 36, bottom: 28, containLabel: true },
      xAxis: { type: 'category', data: periods.map(names.period), axisLabel: { hideOverlap: true } },
      yAxis: {
        type: 'value', name: names.metric(metric),
        axisLabel: { formatter: unit === 'ratio' ? '{value}%' : unit === 'seconds' ? (v: number) => formatSeconds(v) : '{value}' },
        ...(unit === 'ratio' ? { min: 0, max: 100 } : {}),
      },
      series: top.map((k) => ({
        name: names.key(k), type: 'line', connectNulls: false,
        data: periods.map((p) => chartValue(valueOf(body, at.get(`${k}\u0000${p}`), metric), unit)),
      })),
    },
  }
}

// ----- from a report's count to the calls it counted ------------------------------------------

/** The counts one can open as calls, and the outcome each is (none: every call of the cell). */
export const DRILL_OUTCOMES: Record<string, string | null> = {
  offered: null,
  answered: 'answered',
  abandoned: 'abandoned',
  short_abandoned: 'abandoned',
  callback_requested: 'callback',
  voicemail: 'voicemail',
  ivr_ended: 'ivr',
  transferred_out: null,
  flowed_out: null,
}

/** The call list's filter for a report's key, by dimension (the center: none). */
export const DRILL_FILTERS: Record<string, string | null> = {
  all: null,
  queue: 'queue',
  agent: 'agent_id',
  dialled: 'dialled',
  disposition: 'disposition',
}

/** Where each period of a report ends: the next period's start, the report's end for the last. */
export function periodEnds(body: Pick<ReportBody, 'rows' | 'to_ms'>): Map<number, number> {
  const starts = [...new Set(body.rows.map((r) => r.period_ms))].sort((a, b) => a - b)
  return new Map(starts.map((p, i) => [p, Math.min(starts[i + 1] ?? body.to_ms, body.to_ms)]))
}

export interface CallsLink {
  path: '/calls'
  query: Record<string, string>
}

/**
 * The calls behind a count: those that arrived in `[fromMs, toMs)` (reports count calls when
 * they arrive), of the key, with the metric's outcome; null where the calls cannot be told
 * apart so (a team, an IVR node, a not-ready reason), for a metric that is not a count of
 * calls, or for none.
 */
export function callsLink(metric: string, value: number | null | undefined, dim: string, key: string, fromMs: number, toMs: number): CallsLink | null {
  if (!(metric in DRILL_OUTCOMES) || !(dim in DRILL_FILTERS) || value == null || !(value > 0) || !(toMs > fromMs)) return null
  const filter = DRILL_FILTERS[dim]
  if (filter && key === '') return null
  const query: Record<string, string> = { arrived_from_ms: String(fromMs), arrived_to_ms: String(toMs) }
  if (filter) query[filter] = key
  const outcome = DRILL_OUTCOMES[metric]
  if (outcome) query.outcome = outcome
  // The center and a dialled number count each contact once: its first part.
  if (dim === 'all' || dim === 'dialled') query.first_parts = 'true'
  return { path: '/calls', query }
}

// ----- months (the star ranking, the monthly report) -------------------------------------------

/** "2026-11" of a day "2026-11-30". */
export const monthOf = (day: string) => day.slice(0, 7)

/** The month before: "2026-01" → "2025-12". */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number)
  return iso(new Date(Date.UTC(y, m - 2, 1))).slice(0, 7)
}

/** The first and the last day of a month. */
export function monthDays(month: string): [string, string] {
  const [y, m] = month.split('-').map(Number)
  return [iso(new Date(Date.UTC(y, m - 1, 1))), iso(new Date(Date.UTC(y, m, 0)))]
}

/** The days of a month, both included; this month up to today. */
export function monthRange(month: string, today: string): [string, string] {
  const [first, last] = monthDays(month)
  return [first, monthOf(today) === month && today < last ? today : last]
}

// ----- the star ranking's weights ------------------------------------------------------------------

export type RankWeight = Schemas['RankWeight']

/** What the center ranks by until it says otherwise (the server's default). */
export const DEFAULT_RANKING: RankWeight[] = [
  { metric: 'answered', weight: 40 },
  { metric: 'talk_time', weight: 20 },
  { metric: 'satisfaction', weight: 20 },
  { metric: 'fcr', weight: 20 },
]

/** The metrics it makes sense to rank agents by, as the weights' editor offers them. */
export const RANKING_METRICS = [
  'answered', 'talk_time', 'aht', 'avg_acw', 'fcr', 'satisfaction', 'avg_score', 'occupancy', 'utilisation', 'transfer_rate', 'not_ready_time', 'asa',
]

export const MAX_WEIGHTS = 12

/** Each weight's share of them all, in whole percent: "接通量 40% · 通话总时长 20%". */
export function weightShares(weights: RankWeight[]): { metric: string; share: number }[] {
  const total = weights.reduce((a, w) => a + w.weight, 0)
  return weights.map((w) => ({ metric: w.metric, share: total > 0 ? Math.round((w.weight / total) * 100) : 0 }))
}

const sameWeights = (a: RankWeight[], b: RankWeight[]) =>
  a.length === b.length && a.every((w, i) => w.metric === b[i].metric && w.weight === b[i].weight)

/**
 * The weights to save: what was loaded (left out, null, or the list) when the editor shows
 * it unchanged — the settings go back as they came — else the editor's rows.
 */
export function rankingForSave(loaded: RankWeight[] | null | undefined, rows: RankWeight[]): RankWeight[] | null | undefined {
  return sameWeights(rows, loaded ?? DEFAULT_RANKING) ? loaded : rows.map((w) => ({ metric: w.metric, weight: w.weight }))
}

/** Why the weights would be refused, or null: none or more than 12, a metric twice, all zero. */
export function weightsProblem(rows: RankWeight[]): 'count' | 'twice' | 'zero' | 'empty' | null {
  if (!rows.length || rows.length > MAX_WEIGHTS) return 'count'
  if (rows.some((w) => !w.metric)) return 'empty'
  if (new Set(rows.map((w) => w.metric)).size !== rows.length) return 'twice'
  if (rows.every((w) => !w.weight)) return 'zero'
  return null
}

/**
 * One key's metrics by period as lines (an agent's month by day), each on its own axis kind:
 * counts on the left, ratios (percent) or times on the right.
 */
export function linesOption(body: Pick<ReportBody, 'rows' | 'metrics'>, metrics: string[], names: Omit<TrendNames, 'key'>): Record<string, unknown> | null {
  const lines = [...body.rows].sort((a, b) => a.period_ms - b.period_ms)
  const shown = metrics.filter((m) => body.metrics.includes(m))
  if (!lines.length || !shown.length) return null
  const units = [...new Set(shown.map(names.unit))]
  const axisOf = (m: string) => units.indexOf(names.unit(m))
  const fmt = (unit: string) => (v: unknown) => (v == null ? '—' : unit === 'ratio' ? `${v}%` : unit === 'seconds' ? formatSeconds(Number(v)) : String(v))
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 48, right: 48, top: 36, bottom: 28, containLabel: true },
    xAxis: { type: 'category', data: lines.map((l) => names.period(l.period_ms)), axisLabel: { hideOverlap: true } },
    yAxis: units.slice(0, 2).map((u, i) => ({
      type: 'value', position: i ? 'right' : 'left', splitLine: { show: i === 0 },
      ...(u === 'ratio' ? { min: 0, max: 100, axisLabel: { formatter: '{value}%' } } : u === 'seconds' ? { axisLabel: { formatter: (v: number) => formatSeconds(v) } } : { minInterval: 1 }),
    })),
    series: shown.filter((m) => axisOf(m) < 2).map((m) => ({
      name: names.metric(m), type: 'line', yAxisIndex: axisOf(m), connectNulls: false,
      tooltip: { valueFormatter: fmt(names.unit(m)) },
      data: lines.map((l) => chartValue(valueOf(body, l, m), names.unit(m))),
    })),
  }
}
