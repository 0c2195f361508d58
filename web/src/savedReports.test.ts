import { afterEach, describe, expect, it } from 'vitest'
import { i18n, setLocale } from './i18n'
import {
  contentText, dayCountText, fileDayCount, fileDays, formFromSaved, formFromToolbar, formProblems, guessRange, inputOf, normalizeTime, producerText, rangeText,
  relativeDays, scheduleText, specOf, specText, type SavedForm, type SavedReport,
} from './savedReports'

const t = (key: string, args?: Record<string, unknown>) => i18n.global.t(key, args ?? {})
const te = (key: string) => i18n.global.te(key)

// A Wednesday.
const TODAY = '2026-12-02'

const toolbar = { from: '2026-12-01', to: '2026-12-02', by: 'day', dim: 'queue', keys: ['repair'], metrics: ['offered', 'answered', 'service_level'] }

function form(change: Partial<SavedForm> = {}): SavedForm {
  return { ...formFromToolbar(toolbar, TODAY, '报修日报'), ...change }
}

afterEach(() => setLocale('zh-CN'))

describe('the days a saved report covers', () => {
  it('are counted from the day it runs, as the server counts them', () => {
    expect(relativeDays('today', TODAY)).toEqual(['2026-12-02', '2026-12-02'])
    expect(relativeDays('yesterday', TODAY)).toEqual(['2026-12-01', '2026-12-01'])
    expect(relativeDays('last7_days', TODAY)).toEqual(['2026-11-25', '2026-12-01'])
    expect(relativeDays('last30_days', TODAY)).toEqual(['2026-11-02', '2026-12-01'])
    expect(relativeDays('this_week', TODAY)).toEqual(['2026-11-30', '2026-12-02'])
    expect(relativeDays('last_week', TODAY)).toEqual(['2026-11-23', '2026-11-29'])
    expect(relativeDays('this_month', TODAY)).toEqual(['2026-12-01', '2026-12-02'])
    expect(relativeDays('last_month', TODAY)).toEqual(['2026-11-01', '2026-11-30'])
    expect(relativeDays('last_year', TODAY)).toEqual(['2025-01-01', '2025-12-31'])
    expect(relativeDays('custom', TODAY, ['2026-10-01', '2026-10-31'])).toEqual(['2026-10-01', '2026-10-31'])
    // Across a year: last month of January is December.
    expect(relativeDays('last_month', '2027-01-15')).toEqual(['2026-12-01', '2026-12-31'])
    // A Monday's last week is the week before.
    expect(relativeDays('last_week', '2026-11-30')).toEqual(['2026-11-23', '2026-11-29'])
  })

  it('are read off the toolbar as the relative range they are today, or fixed days', () => {
    expect(guessRange('2026-12-01', '2026-12-02', TODAY)).toBe('this_month')
    expect(guessRange('2026-11-01', '2026-11-30', TODAY)).toBe('last_month')
    expect(guessRange('2026-12-01', '2026-12-01', TODAY)).toBe('yesterday')
    expect(guessRange('2026-12-02', '2026-12-02', TODAY)).toBe('today')
    expect(guessRange('2026-11-30', '2026-12-02', TODAY)).toBe('this_week')
    expect(guessRange('2026-11-23', '2026-11-29', TODAY)).toBe('last_week')
    expect(guessRange('2025-01-01', '2025-12-31', TODAY)).toBe('last_year')
    expect(guessRange('2026-10-03', '2026-10-09', TODAY)).toBe('custom')
    // The 1st of a month: the month, not just the day.
    expect(guessRange('2026-12-01', '2026-12-01', '2026-12-01')).toBe('this_month')
  })
})

describe('the spec sent', () => {
  it('is the toolbar: dimension, periods, metrics shown and keys drilled into, with no days for a relative range', () => {
    const f = form()
    expect(f.range).toBe('this_month')
    expect(f.from).toBe('2026-12-01')
    expect(inputOf({ ...f, name: '  报修日报 ' })).toEqual({
      name: '报修日报',
      spec: { dim: 'queue', by: 'day', metrics: ['offered', 'answered', 'service_level'], keys: ['repair'], range: 'this_month', format: 'xlsx', schedule: null },
    })
  })

  it('has its days when custom, and the schedule with only what its frequency needs', () => {
    expect(specOf(form({ range: 'custom', from: '2026-10-01', to: '2026-10-31', format: 'csv' }))).toMatchObject({
      range: 'custom', from: '2026-10-01', to: '2026-10-31', format: 'csv', schedule: null,
    })
    expect(specOf(form({ every: 'day', at: '7:05', weekday: 3, day: 9 })).schedule).toEqual({ every: 'day', at: '07:05' })
    expect(specOf(form({ every: 'week', at: '08:30', weekday: 1 })).schedule).toEqual({ every: 'week', at: '08:30', weekday: 1 })
    expect(specOf(form({ every: 'month', at: '09:00', day: 28 })).schedule).toEqual({ every: 'month', at: '09:00', day: 28 })
    expect(specOf(form({ range: 'last_month' }))).not.toHaveProperty('from')
  })

  it('comes back into the dialog to be changed', () => {
    const saved: SavedReport = {
      id: 3, name: '月报', owner_id: 1, created_ms: 0, updated_ms: 0, next_run_ms: 1,
      spec: { dim: 'all', by: 'day', metrics: [], keys: [], range: 'last_month', format: 'csv', schedule: { every: 'month', at: '06:00', day: 1 } },
    }
    const f = formFromSaved(saved, TODAY)
    expect(f).toMatchObject({ name: '月报', range: 'last_month', from: '2026-11-01', to: '2026-11-30', format: 'csv', every: 'month', at: '06:00', day: 1, weekday: 1 })
    expect(inputOf(f)).toEqual({ name: '月报', spec: { ...saved.spec, schedule: { every: 'month', at: '06:00', day: 1 } } })
    const custom = formFromSaved({ ...saved, spec: { ...saved.spec, range: 'custom', from: '2026-01-01', to: '2026-01-31', schedule: null } }, TODAY)
    expect(custom).toMatchObject({ range: 'custom', from: '2026-01-01', to: '2026-01-31', every: 'none' })
  })
})

describe('what the server would refuse', () => {
  it('is said before sending: a time of day as HH:MM', () => {
    expect(normalizeTime('07:30')).toBe('07:30')
    expect(normalizeTime(' 7:30 ')).toBe('07:30')
    expect(normalizeTime('0730')).toBe('07:30')
    expect(normalizeTime('7：30')).toBe('07:30')
    expect(normalizeTime('23:59')).toBe('23:59')
    expect(normalizeTime('00:00')).toBe('00:00')
    for (const bad of ['24:00', '12:60', '7', '7:3', 'ab:cd', '', '12:30:00', '-1:00']) expect(normalizeTime(bad)).toBeNull()
    expect(formProblems(form({ every: 'day', at: '25:00' }), TODAY)).toEqual({ 'schedule.at': 'time' })
    // Not scheduled: the time is not asked.
    expect(formProblems(form({ every: 'none', at: 'x' }), TODAY)).toEqual({})
  })

  it('is named by the field the server would name', () => {
    expect(formProblems(form(), TODAY)).toEqual({})
    expect(formProblems(form({ name: '   ' }), TODAY)).toEqual({ name: 'required' })
    expect(formProblems(form({ name: '长'.repeat(61) }), TODAY)).toEqual({ name: 'maxName' })
    expect(formProblems(form({ name: '长'.repeat(60) }), TODAY)).toEqual({})
    expect(formProblems(form({ range: 'custom', from: '', to: '2026-01-01' }), TODAY)).toEqual({ from: 'required' })
    expect(formProblems(form({ range: 'custom', from: '2026-02-01', to: '2026-01-01' }), TODAY)).toEqual({ to: 'order' })
    expect(formProblems(form({ every: 'week', weekday: 0 }), TODAY)).toEqual({ 'schedule.weekday': 'weekday' })
    expect(formProblems(form({ every: 'month', day: 29 }), TODAY)).toEqual({ 'schedule.day': 'dayOfMonth' })
    // Half hours for more than 62 days.
    expect(formProblems(form({ by: 'half_hour', range: 'last_year' }), TODAY)).toEqual({ range: 'tooLongHours' })
    expect(formProblems(form({ by: 'hour', range: 'last30_days' }), TODAY)).toEqual({})
  })
})

describe('a saved report in words', () => {
  it('says its schedule in Chinese', () => {
    expect(scheduleText({ every: 'day', at: '07:00' }, t)).toBe('每天 07:00')
    expect(scheduleText({ every: 'week', at: '08:30', weekday: 1 }, t)).toBe('每周一 08:30')
    expect(scheduleText({ every: 'week', at: '08:30', weekday: 7 }, t)).toBe('每周日 08:30')
    expect(scheduleText({ every: 'month', at: '09:00', day: 1 }, t)).toBe('每月 1 日 09:00')
    expect(scheduleText(null, t)).toBe('不定时')
  })

  it('says its schedule in English', () => {
    setLocale('en')
    expect(scheduleText({ every: 'day', at: '07:00' }, t)).toBe('Daily at 07:00')
    expect(scheduleText({ every: 'week', at: '08:30', weekday: 1 }, t)).toBe('Every Monday at 08:30')
    expect(scheduleText({ every: 'month', at: '09:00', day: 15 }, t)).toBe('Monthly on day 15 at 09:00')
    expect(scheduleText(undefined, t)).toBe('Not scheduled')
  })

  it('says what it reports and over which days', () => {
    const spec = specOf(form({ range: 'last_month' }))
    expect(contentText(spec, t, te)).toBe('队列 × 日 · 3 项指标 · 仅 1 个队列')
    expect(rangeText(spec, t, te)).toBe('上月')
    expect(specText(spec, t, te)).toBe('队列 × 日 · 3 项指标 · 仅 1 个队列 · 上月 · Excel')
    const all = { dim: 'all', by: 'week', metrics: [], keys: [], range: 'custom', from: '2026-10-01', to: '2026-10-31', format: 'csv' }
    expect(specText(all, t, te)).toBe('全中心 × 周 · 全部指标 · 2026-10-01 至 2026-10-31 · CSV')
    setLocale('en')
    expect(specText(spec, t, te)).toBe('Queue × Day · 3 metrics · only 1 selected · Last month · Excel')
    expect(rangeText({ range: 'last7_days' }, t, te)).toBe('Last 7 days (not today)')
    // A dimension only the API has: its key.
    expect(contentText({ dim: 'agent_reason', by: 'total', metrics: ['offered'] }, t, te)).toBe('agent_reason × Total · 1 metric')
  })

  it('says which days a file covers in the center\'s zone, and who made it', () => {
    const zone = 'Asia/Shanghai'
    // 2026-11-01 00:00 to 2026-12-01 00:00 in Shanghai.
    const month = { from_ms: Date.UTC(2026, 9, 31, 16), to_ms: Date.UTC(2026, 10, 30, 16) }
    expect(fileDays(month, zone, t)).toBe('2026-11-01 至 2026-11-30')
    expect(fileDayCount(month, zone)).toBe(30)
    const day = { from_ms: Date.UTC(2026, 11, 1, 16), to_ms: Date.UTC(2026, 11, 2, 16) }
    expect(fileDays(day, zone, t)).toBe('2026-12-02')
    expect(fileDayCount(day, zone)).toBe(1)
    expect(dayCountText(1, t)).toBe('1 天')
    setLocale('en')
    expect([dayCountText(1, t), dayCountText(30, t)]).toEqual(['1 day', '30 days'])
    setLocale('zh-CN')
    const names = new Map([[7, '张班长']])
    expect(producerText(null, 1, names, t)).toBe('定时生成')
    expect(producerText(1, 1, names, t)).toBe('我')
    expect(producerText(7, 1, names, t)).toBe('张班长')
    expect(producerText(9, 1, names, t)).toBe('用户 9')
  })
})
