import { describe, expect, it } from 'vitest'
import { below, onTimeLines, onTimeOption, period, tooLong } from './onTime'

const at = (y: number, m: number, d: number) => new Date(y, m - 1, d).getTime()

describe('period', () => {
  const now = new Date(2025, 2, 15, 10, 30) // 15 March 2025, local time

  it('takes whole local days', () => {
    expect(period('this_month', now)).toEqual([at(2025, 3, 1), at(2025, 4, 1)])
    expect(period('last_month', now)).toEqual([at(2025, 2, 1), at(2025, 3, 1)])
    expect(period('last_7_days', now)).toEqual([at(2025, 3, 9), at(2025, 3, 16)])
  })

  it('crosses the year', () => {
    const jan = new Date(2025, 0, 3)
    expect(period('last_month', jan)).toEqual([at(2024, 12, 1), at(2025, 1, 1)])
    expect(period('last_7_days', jan)).toEqual([at(2024, 12, 28), at(2025, 1, 4)])
    expect(period('this_month', new Date(2024, 11, 31))).toEqual([at(2024, 12, 1), at(2025, 1, 1)])
  })

  it('includes both days picked', () => {
    expect(period('custom', now, [new Date(2025, 0, 1, 13), new Date(2025, 0, 31)])).toEqual([at(2025, 1, 1), at(2025, 2, 1)])
    expect(period('custom', now, [new Date(2025, 0, 5), new Date(2025, 0, 5)])).toEqual([at(2025, 1, 5), at(2025, 1, 6)])
    expect(period('custom', now, null)).toBeNull()
  })

  it('knows what the server refuses', () => {
    expect(tooLong(period('custom', now, [new Date(2024, 0, 1), new Date(2025, 0, 1)])!)).toBe(false)
    expect(tooLong(period('custom', now, [new Date(2023, 0, 1), new Date(2025, 0, 1)])!)).toBe(true)
  })
})

describe('onTimeLines', () => {
  const rows = [
    { key: 'xihu', resolved: 10, on_time: 9, without_limit: 0, rate: 0.9 },
    { key: 'none', resolved: 3, on_time: 0, without_limit: 3, rate: null },
    { key: 'gs', resolved: 8, on_time: 5, without_limit: 2, rate: 5 / 6 },
    { key: 'sc', resolved: 20, on_time: 18, without_limit: 0, rate: 0.9 },
  ]

  it('puts the worst first, the busiest before an equal rate, nothing to judge last', () => {
    const lines = onTimeLines(rows, (k) => k.toUpperCase())
    expect(lines.map((l) => l.key)).toEqual(['gs', 'sc', 'xihu', 'none'])
    expect(lines[0]).toEqual({ key: 'gs', name: 'GS', resolved: 8, on_time: 5, late: 1, without_limit: 2, rate: 5 / 6 })
    expect(lines[3].late).toBe(0)
  })

  it('is red only below 90 %', () => {
    expect(below(0.8999)).toBe(true)
    expect(below(0.9)).toBe(false)
    expect(below(null)).toBe(false)
  })

  it('charts the rows with a rate, in percent', () => {
    const o = onTimeOption(onTimeLines(rows, (k) => k), (k) => k)
    expect(o.yAxis.data).toEqual(['gs', 'sc', 'xihu'])
    expect(o.series[0].data.map((d) => d.value)).toEqual([83.3, 90, 90])
    expect(o.series[0].data[0].itemStyle.color).toBe('#f56c6c')
    expect(o.series[0].data[1].itemStyle.color).toBe('#67c23a')
  })
})
