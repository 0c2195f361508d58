import { describe, expect, it } from 'vitest'
import {
  DEFAULT_RANKING, askedMetrics, callsLink, changeText, choicesWith, compare, compareValues, direction, formatSeconds, formatValue, linesOption,
  monthDays, monthRange, periodEnds, periodLabel, presetRange, previousMonth, rangeProblem, rankingForSave, reportParams, todayIn, trendOption,
  weightShares, weightsProblem, type ReportBody,
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

describe('from a count to its calls', () => {
  const from = Date.UTC(2026, 10, 30, 16)
  const to = Date.UTC(2026, 11, 2, 16)

  it('opens the calls that arrived in the period, of the key, with the metric\'s outcome', () => {
    expect(callsLink('abandoned', 15, 'queue', 'repair', from, to)).toEqual({
      path: '/calls', query: { arrived_from_ms: String(from), arrived_to_ms: String(to), queue: 'repair', outcome: 'abandoned' },
    })
    expect(callsLink('short_abandoned', 3, 'agent', '7', from, to)?.query).toMatchObject({ agent_id: '7', outcome: 'abandoned' })
    // The center and a dialled number count each contact once: the calls' first parts.
    expect(callsLink('callback_requested', 1, 'dialled', '96332', from, to)?.query).toMatchObject({ dialled: '96332', outcome: 'callback', first_parts: 'true' })
    expect(callsLink('ivr_ended', 4, 'all', '', from, to)?.query).toEqual({
      arrived_from_ms: String(from), arrived_to_ms: String(to), outcome: 'ivr', first_parts: 'true',
    })
    expect(callsLink('abandoned', 15, 'queue', 'repair', from, to)?.query.first_parts).toBeUndefined()
    expect(callsLink('voicemail', 2, 'disposition', 'solved', from, to)?.query).toMatchObject({ disposition: 'solved', outcome: 'voicemail' })
    // Every call of the cell, whatever its outcome.
    expect(callsLink('offered', 100, 'all', '', from, to)?.query).toEqual({ arrived_from_ms: String(from), arrived_to_ms: String(to), first_parts: 'true' })
    expect(callsLink('transferred_out', 4, 'queue', 'repair', from, to)?.query).not.toHaveProperty('outcome')
  })

  it('links nothing that cannot be listed as calls', () => {
    expect(callsLink('service_level', 0.8, 'all', '', from, to)).toBeNull()
    expect(callsLink('offered', 0, 'all', '', from, to)).toBeNull()
    expect(callsLink('offered', null, 'all', '', from, to)).toBeNull()
    expect(callsLink('offered', 10, 'team', 'north', from, to)).toBeNull()
    expect(callsLink('offered', 10, 'ivr_node', 'main', from, to)).toBeNull()
    expect(callsLink('offered', 10, 'queue', '', from, to)).toBeNull()
  })

  it('ends each period where the next begins, the last where the report does', () => {
    const day = 86_400_000
    const ends = periodEnds({ to_ms: to, rows: [
      { key: 'a', period_ms: from + day, values: [] }, { key: 'a', period_ms: from, values: [] }, { key: 'b', period_ms: from, values: [] },
    ] })
    expect([...ends.entries()]).toEqual([[from, from + day], [from + day, to]])
  })
})

describe('months', () => {
  it('are whole, this one up to today, and know the one before', () => {
    expect(monthDays('2026-02')).toEqual(['2026-02-01', '2026-02-28'])
    expect(monthRange('2026-11', '2026-12-01')).toEqual(['2026-11-01', '2026-11-30'])
    expect(monthRange('2026-12', '2026-12-09')).toEqual(['2026-12-01', '2026-12-09'])
    expect(previousMonth('2026-01')).toBe('2025-12')
  })
})

describe('the star ranking\'s weights', () => {
  it('say each weight\'s share of the score', () => {
    expect(weightShares(DEFAULT_RANKING).map((w) => `${w.metric} ${w.share}%`)).toEqual(['answered 40%', 'talk_time 20%', 'satisfaction 20%', 'fcr 20%'])
    expect(weightShares([{ metric: 'answered', weight: 1 }, { metric: 'fcr', weight: 3 }]).map((w) => w.share)).toEqual([25, 75])
    expect(weightShares([{ metric: 'answered', weight: 0 }])[0].share).toBe(0)
  })

  it('go back as they came when unchanged, and as edited otherwise', () => {
    const loaded = [{ metric: 'answered', weight: 50 }, { metric: 'asa', weight: 50 }]
    expect(rankingForSave(loaded, loaded.map((w) => ({ ...w })))).toBe(loaded)
    expect(rankingForSave(undefined, DEFAULT_RANKING.map((w) => ({ ...w })))).toBeUndefined()
    expect(rankingForSave(null, DEFAULT_RANKING.map((w) => ({ ...w })))).toBeNull()
    expect(rankingForSave(undefined, [{ metric: 'answered', weight: 100 }])).toEqual([{ metric: 'answered', weight: 100 }])
    expect(rankingForSave(loaded, [loaded[1], loaded[0]])).toEqual([loaded[1], loaded[0]])
  })

  it('are refused before asking when none, twice or all zero', () => {
    expect(weightsProblem(DEFAULT_RANKING)).toBeNull()
    expect(weightsProblem([])).toBe('count')
    expect(weightsProblem(Array.from({ length: 13 }, (_, i) => ({ metric: 'm' + i, weight: 1 })))).toBe('count')
    expect(weightsProblem([{ metric: 'asa', weight: 1 }, { metric: 'asa', weight: 2 }])).toBe('twice')
    expect(weightsProblem([{ metric: 'asa', weight: 0 }])).toBe('zero')
    expect(weightsProblem([{ metric: '', weight: 5 }])).toBe('empty')
  })
})

describe('an agent\'s month as lines', () => {
  it('draws each metric on the axis of its unit, ratios in percent, without animation', () => {
    const body = {
      metrics: ['answered', 'satisfaction', 'talk_time'],
      rows: [{ key: '7', period_ms: 2, values: [5, 0.8, 600] }, { key: '7', period_ms: 1, values: [3, null, 300] }],
    }
    const o = linesOption(body, ['answered', 'satisfaction', 'talk_time', 'fcr'], {
      metric: (m) => m, unit: (m) => ({ answered: 'count', satisfaction: 'ratio', talk_time: 'seconds' })[m] ?? 'count', period: String,
    }) as { animation: boolean; xAxis: { data: string[] }; yAxis: unknown[]; series: { name: string; yAxisIndex: number; data: (number | null)[] }[] }
    expect(o.animation).toBe(false)
    expect(o.xAxis.data).toEqual(['1', '2'])
    expect(o.yAxis.length).toBe(2)
    // Two kinds of axis at most: the times (a third unit) are left out.
    expect(o.series.map((s) => [s.name, s.yAxisIndex, s.data])).toEqual([['answered', 0, [3, 5]], ['satisfaction', 1, [null, 80]]])
    expect(linesOption({ metrics: ['answered'], rows: [] }, ['answered'], { metric: String, unit: () => 'count', period: String })).toBeNull()
  })
})
