// Saved reports (报表订阅): a report's toolbar kept under a name, its range relative to when it
// runs ("last month"), produced into an XLSX or CSV file when asked or on a schedule in the
// center's zone. Here: the dialog's form and the spec it sends, what the server would refuse
// (said before sending), and a saved report, its schedule and its files in words.

import type { components } from './api.gen'
import { addDays, daysBetween, periodLabel, presetRange, rangeProblem } from './reports'

type Schemas = components['schemas']
export type SavedReport = Schemas['SavedReportBody']
export type SavedReportInput = Schemas['SavedReportInput']
export type ReportFile = Schemas['ReportFileBody']
export type Spec = Schemas['SpecDto']
export type Schedule = Schemas['ScheduleDto']

type Translate = (key: string, args?: Record<string, unknown>) => string
type Exists = (key: string) => boolean

/** The ranges a saved report may cover, relative to the day it runs (the server's order). */
export const RANGES = [
  'today', 'yesterday', 'last7_days', 'last30_days', 'this_week', 'last_week', 'this_month', 'last_month', 'last_year', 'custom',
] as const
export type RangeKey = (typeof RANGES)[number]

export const FORMATS = ['xlsx', 'csv'] as const
export type FileFormat = (typeof FORMATS)[number]

/** How often it is produced by itself; `none`: only when someone asks. */
export const EVERY = ['none', 'day', 'week', 'month'] as const
export type Every = (typeof EVERY)[number]

/** 1 (Monday) to 7 (Sunday), as the server numbers them. */
export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const
/** The days of the month a schedule may fall on: every month has them. */
export const MONTH_DAYS = Array.from({ length: 28 }, (_, i) => i + 1)

/** A name's length at most (the server's). */
export const MAX_NAME = 60

/** The dialog's fields: what is saved, flat. */
export interface SavedForm {
  name: string
  dim: string
  by: string
  /** Empty: every metric. */
  metrics: string[]
  /** Empty: every key. */
  keys: string[]
  range: RangeKey
  /** The days of a custom range (kept while another range is chosen, to come back to). */
  from: string
  to: string
  format: FileFormat
  every: Every
  /** `HH:MM` as typed. */
  at: string
  weekday: number
  day: number
}

/** What the report toolbar says. */
export interface Toolbar {
  from: string
  to: string
  by: string
  dim: string
  keys: string[]
  metrics: string[]
}

const isRange = (r: string): r is RangeKey => (RANGES as readonly string[]).includes(r)

/**
 * The days, both included, a range means for a run on `today` ("2026-12-02"), as the server
 * resolves them: the days before today for "last 7/30 days", weeks from Monday; a custom
 * range is its own days.
 */
export function relativeDays(range: RangeKey, today: string, custom?: [string, string]): [string, string] {
  const y = Number(today.slice(0, 4))
  switch (range) {
    case 'today': return [today, today]
    case 'yesterday': return presetRange('yesterday', today)
    case 'last7_days': return [addDays(today, -7), addDays(today, -1)]
    case 'last30_days': return [addDays(today, -30), addDays(today, -1)]
    case 'this_week': return presetRange('thisWeek', today)
    case 'last_week': {
      const monday = presetRange('thisWeek', today)[0]
      return [addDays(monday, -7), addDays(monday, -1)]
    }
    case 'this_month': return presetRange('thisMonth', today)
    case 'last_month': return presetRange('lastMonth', today)
    case 'last_year': return [`${y - 1}-01-01`, `${y - 1}-12-31`]
    case 'custom': return custom ?? [today, today]
  }
}

/** Which ranges are tried first when the toolbar's days fit several (the 1st of a month is "this month", not "today"). */
const GUESS_ORDER: RangeKey[] = ['this_month', 'last_month', 'this_week', 'last_week', 'today', 'yesterday', 'last7_days', 'last30_days', 'last_year']

/** The relative range the toolbar's days are on `today`, or `custom`. */
export function guessRange(from: string, to: string, today: string): RangeKey {
  return GUESS_ORDER.find((r) => {
    const [f, t] = relativeDays(r, today)
    return f === from && t === to
  }) ?? 'custom'
}

/** The dialog for a new saved report, filled from the report toolbar. */
export function formFromToolbar(q: Toolbar, today: string, name = ''): SavedForm {
  return {
    name,
    dim: q.dim,
    by: q.by,
    metrics: [...q.metrics],
    keys: [...q.keys],
    range: guessRange(q.from, q.to, today),
    from: q.from,
    to: q.to,
    format: 'xlsx',
    every: 'none',
    at: '08:00',
    weekday: 1,
    day: 1,
  }
}

/** The dialog for a saved report, to change it; a relative range's days today in the date pickers. */
export function formFromSaved(s: SavedReport, today: string): SavedForm {
  const spec = s.spec
  const range = isRange(spec.range) ? spec.range : 'custom'
  const [from, to] = spec.from && spec.to ? [spec.from, spec.to] : relativeDays(range === 'custom' ? 'this_month' : range, today)
  const sch = spec.schedule
  const every: Every = sch && (EVERY as readonly string[]).includes(sch.every) ? (sch.every as Every) : 'none'
  return {
    name: s.name,
    dim: spec.dim,
    by: spec.by,
    metrics: [...(spec.metrics ?? [])],
    keys: [...(spec.keys ?? [])],
    range,
    from,
    to,
    format: spec.format === 'csv' ? 'csv' : 'xlsx',
    every,
    at: sch?.at ?? '08:00',
    weekday: sch?.weekday ?? 1,
    day: sch?.day ?? 1,
  }
}

/**
 * A time of day as the server takes it, `HH:MM` (24 hours), from what was typed: "7:30",
 * "07:30", "0730", "7：30" (a Chinese colon); null when it is not one.
 */
export function normalizeTime(typed: string): string | null {
  const m = typed.trim().replace('：', ':').match(/^(\d{1,2}):?(\d{2})$/)
  if (!m) return null
  const h = Number(m[1])
  const min = Number(m[2])
  if (h > 23 || min > 59) return null
  return `${String(h).padStart(2, '0')}:${m[2]}`
}

/** The body of `POST /api/reports/saved` (and `PUT`): days only for a custom range, no schedule for none. */
export function specOf(f: SavedForm): Spec {
  const spec: Spec = { dim: f.dim, by: f.by, metrics: [...f.metrics], keys: [...f.keys], range: f.range, format: f.format, schedule: null }
  if (f.range === 'custom') {
    spec.from = f.from
    spec.to = f.to
  }
  if (f.every !== 'none') {
    const schedule: Schedule = { every: f.every, at: normalizeTime(f.at) ?? f.at.trim() }
    if (f.every === 'week') schedule.weekday = f.weekday
    if (f.every === 'month') schedule.day = f.day
    spec.schedule = schedule
  }
  return spec
}

export function inputOf(f: SavedForm): SavedReportInput {
  return { name: f.name.trim(), spec: specOf(f) }
}

export type Problem = 'required' | 'maxName' | 'date' | 'order' | 'time' | 'weekday' | 'dayOfMonth' | 'tooLong' | 'tooLongHours'

const DAY = /^\d{4}-\d{2}-\d{2}$/

/**
 * What the server would refuse, by the field it would name (`name`, `from`, `to`, `range`,
 * `schedule.at`, `schedule.weekday`, `schedule.day`); empty when nothing. `today` is the
 * center's, to check how long a relative range is.
 */
export function formProblems(f: SavedForm, today: string): Record<string, Problem> {
  const out: Record<string, Problem> = {}
  const name = f.name.trim()
  if (!name) out.name = 'required'
  else if ([...name].length > MAX_NAME) out.name = 'maxName'
  if (f.range === 'custom') {
    if (!f.from) out.from = 'required'
    else if (!DAY.test(f.from)) out.from = 'date'
    if (!f.to) out.to = 'required'
    else if (!DAY.test(f.to)) out.to = 'date'
  }
  if (!out.from && !out.to) {
    const [from, to] = relativeDays(f.range, today, [f.from, f.to])
    const p = rangeProblem(from, to, f.by)
    if (p) out[f.range === 'custom' ? 'to' : 'range'] = p
  }
  if (f.every !== 'none') {
    if (!normalizeTime(f.at)) out['schedule.at'] = 'time'
    if (f.every === 'week' && !(WEEKDAYS as readonly number[]).includes(f.weekday)) out['schedule.weekday'] = 'weekday'
    if (f.every === 'month' && !MONTH_DAYS.includes(f.day)) out['schedule.day'] = 'dayOfMonth'
  }
  return out
}

// ----- in words ------------------------------------------------------------------------------

/** 每天 07:00 · 每周一 08:30 · 每月 1 日 09:00; "Daily at 07:00"; not scheduled. */
export function scheduleText(s: Schedule | null | undefined, t: Translate): string {
  if (!s) return t('saved.schedules.none')
  switch (s.every) {
    case 'day': return t('saved.schedules.day', { at: s.at })
    case 'week': return t('saved.schedules.week', { weekday: t('saved.weekdays.' + s.weekday), at: s.at })
    case 'month': return t('saved.schedules.month', { day: s.day, at: s.at })
    default: return `${s.every} ${s.at}`
  }
}

/** 上月; a custom range's days: 2026-11-01 至 2026-11-30. */
export function rangeText(spec: Pick<Spec, 'range' | 'from' | 'to'>, t: Translate, te: Exists): string {
  if (spec.range === 'custom') return t('reports.range', { from: spec.from ?? '…', to: spec.to ?? '…' })
  return te('saved.ranges.' + spec.range) ? t('saved.ranges.' + spec.range) : spec.range
}

const named = (t: Translate, te: Exists, key: string, fallback: string) => (te(key) ? t(key) : fallback)

/** What is reported: 队列 × 日 · 12 项指标 (· 仅 2 个队列). */
export function contentText(spec: Pick<Spec, 'dim' | 'by' | 'metrics' | 'keys'>, t: Translate, te: Exists): string {
  const dim = named(t, te, 'reports.dims.' + spec.dim, spec.dim)
  const by = named(t, te, 'reports.granularity.' + spec.by, spec.by)
  const n = spec.metrics?.length ?? 0
  const parts = [`${dim} × ${by}`, n === 1 ? t('saved.oneMetric') : n ? t('saved.metricsN', { n }) : t('saved.allMetrics')]
  const keys = spec.keys?.length ?? 0
  if (keys) parts.push(t('saved.keysN', { n: keys, dim }))
  return parts.join(' · ')
}

/** The whole of it: 队列 × 日 · 12 项指标 · 上月 · Excel. */
export function specText(spec: Spec, t: Translate, te: Exists): string {
  return [contentText(spec, t, te), rangeText(spec, t, te), t('saved.formats.' + (spec.format === 'csv' ? 'csv' : 'xlsx'))].join(' · ')
}

/** The days a file covers, in the center's zone: "2026-11-30", "2026-11-01 至 2026-11-30". */
export function fileDays(f: Pick<ReportFile, 'from_ms' | 'to_ms'>, zone: string | undefined, t: Translate): string {
  const from = periodLabel(f.from_ms, 'day', zone)
  const to = periodLabel(Math.max(f.from_ms, f.to_ms - 1), 'day', zone)
  return from === to ? from : t('reports.range', { from, to })
}

/** How many days a file covers. */
export function fileDayCount(f: Pick<ReportFile, 'from_ms' | 'to_ms'>, zone?: string): number {
  return daysBetween(periodLabel(f.from_ms, 'day', zone), periodLabel(Math.max(f.from_ms, f.to_ms - 1), 'day', zone))
}

/** 1 天, 30 天; "1 day", "30 days". */
export function dayCountText(n: number, t: Translate): string {
  return n === 1 ? t('saved.oneDay') : t('saved.dayCount', { n })
}

/** Who produced a file: the schedule, me, someone by name, or a user by number. */
export function producerText(byUserId: number | null | undefined, me: number | undefined, names: Map<number, string>, t: Translate): string {
  if (byUserId == null) return t('saved.bySchedule')
  if (byUserId === me) return t('saved.byMe')
  const name = names.get(byUserId)
  return name ? t('saved.byName', { name }) : t('saved.byUser', { id: byUserId })
}

/** An instant in this browser's time, as the other pages write it: 2026/12/03 07:00. */
export function localTime(ms: number, locale: string): string {
  return new Date(ms).toLocaleString(locale === 'en' ? 'en-GB' : 'zh-CN', {
    hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  })
}
