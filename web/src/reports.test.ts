import { describe, expect, it } from 'vitest'
import {
  askedMetrics, changeText, choicesWith, compare, compareValues, direction, formatSeconds, formatValue, periodLabel, presetRange,
  rangeProblem, reportParams, todayIn, trendOption, type ReportBody,
} from './reports'

const words = { pp: ' pp', same: 'same' }

describe('report values', () => {
  it('show nothing to divide by as a dash, never 0 %', () => {
    expect(formatValue(null, 'ratio')).toBe('—')
    expect(formatValue(undefined, 'seconds')).toBe('—')
    expect(formatValue(Number.NaN, 'count')).toBe('—')
    expect(formatValue(0, 'ratio')).toBe('0.0%')
  })

  it('show ratios as percent with one decimal, times as m:ss, counts whole, ratings with two decimals', () => {
    expect(formatValue(0.8534, 'ratio')).toBe('85.3%')
    expect(formatValue(1, 'ratio')).toBe('100.0%')
    expect(formatValue(65, 'seconds')).toBe('1:05')
    expect(formatValue(12.6, 'seconds')).toBe('0:13')
    expect(formatValue(3723, 'seconds')).toBe('1:02:03')
    expect(formatSeconds(0)).toBe('0:00')
    expect(formatValue(1234, 'count')).toBe('1,234')
    expect(formatValue(4.456, 'score')).toBe('4.46')
  })
})

describe('changes from the period before', () => {
  it('know which way is better: fewer abandons and shorter waits, more answers and a higher service level', () => {
    for (const k of ['abandoned', 'short_abandoned', 'abandon_rate', 'asa', 'aht', 'avg_abandon_wait', 'max_wait', 'repeat_rate', 'transfer_rate']) {
      expect(direction(k), k).toBe(-1)
    }
    for (const k of ['answered', 'answer_rate', 'service_level', 'fcr', 'satisfaction']) expect(direction(k), k).toBe(1)
    expect(direction('offered')).toBe(0)
  })

  it('colour a rise green or red by the metric, and say ratios in percentage points', () => {
    const sl = compare('service_level', 'ratio', 0.853, 0.832)!
    expect(sl).toMatchObject({ arrow: '▲', tone: 'better', mode: 'pp' })
    expect(changeText(sl, 'ratio', words)).toBe('▲ 2.1 pp')
    const abandoned = compare('abandoned', 'count', 120, 100)!
    expect(abandoned).toMatchObject({ arrow: '▲', tone: 'worse', mode: 'pct' })
    expect(changeText(abandoned, 'count', words)).toBe('▲ 20.0%')
    const asa = compare('asa', 'seconds', 20, 25)!
    expect(asa).toMatchObject({ arrow: '▼', tone: 'better' })
    expect(changeText(asa, 'seconds', words)).toBe('▼ 20.0%')
    expect(compare('answered', 'count', 90, 100)).toMatchObject({ arrow: '▼', tone: 'worse' })
    expect(compare('offered', 'count', 110, 100)).toMatchObject({ arrow: '▲', tone: 'neutral' })
  })

  it('show the difference when there was nothing before, and nothing when a side has no value', () => {
    expect(changeText(compare('offered', 'count', 5, 0), 'count', words)).toBe('▲ 5')
    expect(changeText(compare('avg_score', 'score', 4.5, 4.25), 'score', words)).toBe('▲ 0.25')
    expect(compare('service_level', 'ratio', null, 0.8)).toBeNull()
    expect(changeText(compare('service_level', 'ratio', 0.8, null), 'ratio', words)).toBe('—')
    expect(changeText(compare('answered', 'count', 7, 7), 'count', words)).toBe('same')
  })
})

describe('periods and ranges', () => {
  const ms = Date.UTC(2026, 11, 1, 0, 30) // 08:30 in Shanghai, 2026-12-01

  it('name periods in the tenant\'s zone', () => {
    expect(periodLabel(ms, 'half_hour', 'Asia/Shanghai')).toBe('2026-12-01 08:30')
    expect(periodLabel(ms, 'hour', 'Asia/Shanghai', true)).toBe('12-01 08:30')
    expect(periodLabel(Date.UTC(2026, 10, 30, 16), 'day', 'Asia/Shanghai')).toBe('2026-12-01')
    expect(periodLabel(Date.UTC(2026, 10, 30, 16), 'day', 'UTC')).toBe('2026-11-30')
    expect(periodLabel(ms, 'month', 'Asia/Shanghai')).toBe('2026-12')
    expect(periodLabel(ms, 'year', 'Asia/Shanghai')).toBe('2026')
    expect(periodLabel(ms, 'total', 'Asia/Shanghai')).toBe('')
    expect(todayIn('Asia/Shanghai', new Date(Date.UTC(2026, 10, 30, 17)))).toBe('2026-12-01')
  })

  it('give the presets\' days, weeks from Monday', () => {
    const today = '2026-12-03' // a Thursday
    expect(presetRange('today', today)).toEqual(['2026-12-03', '2026-12-03'])
    expect(presetRange('yesterday', today)).toEqual(['2026-12-02', '2026-12-02'])
    expect(presetRange('thisWeek', today)).toEqual(['2026-11-30', '2026-12-03'])
    expect(presetRange('thisWeek', '2026-12-06')).toEqual(['2026-11-30', '2026-12-06']) // a Sunday
    expect(presetRange('thisMonth', today)).toEqual(['2026-12-01', '2026-12-03'])
    expect(presetRange('lastMonth', today)).toEqual(['2026-11-01', '2026-11-30'])
    expect(presetRange('lastMonth', '2026-01-15')).toEqual(['2025-12-01', '2025-12-31'])
    expect(presetRange('thisYear', today)).toEqual(['2026-01-01', '2026-12-03'])
  })

  it('refuse what the server would: half hours beyond 62 days, anything beyond three years', () => {
    expect(rangeProblem('2026-01-01', '2026-03-03', 'half_hour')).toBeNull() // 62 days
    expect(rangeProblem('2026-01-01', '2026-03-04', 'hour')).toBe('tooLongHours')
    expect(rangeProblem('2026-01-01', '2026-03-04', 'day')).toBeNull()
    expect(rangeProblem('2020-01-01', '2026-01-01', 'month')).toBe('tooLong')
    expect(rangeProblem('2026-02-01', '2026-01-01', 'day')).toBe('order')
  })

  it('ask for the chosen metrics and those the chart draws, keys only when drilled into', () => {
    expect(askedMetrics(['answered', 'asa'])).toEqual(['answered', 'asa', 'offered', 'abandoned', 'service_level'])
    expect(reportParams({ from: '2026-12-01', to: '2026-12-31', by: 'day', dim: 'queue', keys: [], metrics: ['offered', 'asa'] }))
      .toBe('from=2026-12-01&to=2026-12-31&by=day&dim=queue&metrics=offered%2Casa')
    expect(reportParams({ from: '2026-12-01', to: '2026-12-01', by: 'total', dim: 'queue', keys: ['repair'], metrics: [] }, 'csv'))
      .toBe('from=2026-12-01&to=2026-12-01&by=total&dim=queue&keys=repair&format=csv')
  })

  it('sort empty values last either way, and offer a stored value not among the choices', () => {
    const vs = [0.5, null, 0.9, 0.1]
    expect([...vs].sort((a, b) => compareValues(a, b, false))).toEqual([0.1, 0.5, 0.9, null])
    expect([...vs].sort((a, b) => compareValues(a, b, true))).toEqual([0.9, 0.5, 0.1, null])
    expect(choicesWith([5, 10, 20], 10)).toEqual([5, 10, 20])
    expect(choicesWith([5, 10, 20], 12)).toEqual([5, 10, 12, 20])
  })
})

describe('the trend chart', () => {
  const base: ReportBody = {
    zone: 'Asia/Shanghai', from_ms: 0, to_ms: 0, previous_from_ms: 0, previous_to_ms: 0, by: 'day', dim: 'all',
    metrics: ['offered', 'answered', 'abandoned', 'service_level'], rows: [], totals: [], previous: [], labels: {},
    settings: { service_level_formula: 'answered_in_t_over_all', service_level_s: 20, short_abandon_s: 5, exclude_short_abandons: true, count_flow_outs: false, repeat_days: 7 },
  }
  const names = { key: (k: string) => k || 'center', metric: (m: string) => m, unit: (m: string) => (m === 'service_level' ? 'ratio' : 'count'), period: (ms: number) => String(ms) }

  it('draws the center\'s calls as bars and its service level as a line on a second axis', () => {
    const body = { ...base, rows: [{ period_ms: 2, key: '', values: [10, 8, 2, null] }, { period_ms: 1, key: '', values: [20, 17, 3, 0.85] }] }
    const { option } = trendOption(body, names, 'offered')! as { option: any }
    expect(option.xAxis.data).toEqual(['1', '2'])
    expect(option.series.map((s: any) => [s.type, s.yAxisIndex ?? 0])).toEqual([['bar', 0], ['bar', 0], ['bar', 0], ['line', 1]])
    expect(option.series[3].data).toEqual([85, null])
  })

  it('draws a line per key, the biggest first, when several keys are reported by period', () => {
    const body = {
      ...base, dim: 'queue',
      rows: [{ period_ms: 1, key: 'a', values: [1, 1, 0, 1] }, { period_ms: 1, key: 'b', values: [5, 4, 1, 0.8] }],
      totals: [{ period_ms: 1, key: 'a', values: [1, 1, 0, 1] }, { period_ms: 1, key: 'b', values: [5, 4, 1, 0.8] }],
    }
    const tr = trendOption(body, names, 'offered')!
    expect(tr.mode).toBe('keys:offered:b,a')
    expect((tr.option as any).series.map((s: any) => s.name)).toEqual(['b', 'a'])
  })
})
