import { describe, expect, it } from 'vitest'
import {
  areaName, changeBody, endOf, hhmm, incidentKey, isActive, isOver, lines, regionLines, splitIncidents, validKey, whenLabel, type Incident,
  type IncidentDoc,
} from './incidents'

const burst = (over: Partial<Incident> = {}): Incident => ({
  title: '文三路爆管', message: '停水', regions: ['浙江省/杭州市/西湖区'], address_prefixes: [], starts_ms: 1_000, expected_end_ms: 5_000, ...over,
})
const doc = (key: string, over: Partial<Incident> = {}): IncidentDoc => ({ key, version: 1, data: burst(over) })

describe('incidents', () => {
  it('are going on from their start until their expected or actual end, as the server says', () => {
    const i = burst()
    expect(isActive(i, 999)).toBe(false)
    expect(isActive(i, 1_000)).toBe(true)
    expect(isActive(i, 4_999)).toBe(true)
    expect(isActive(i, 5_000)).toBe(false)
    expect(isOver(i, 5_000)).toBe(true)
    const ended = burst({ ended_ms: 2_000 })
    expect(isActive(ended, 1_999)).toBe(true)
    expect(isActive(ended, 2_000)).toBe(false)
    expect(isOver(ended, 2_000)).toBe(true)
    expect(endOf(ended)).toBe(2_000)
    expect(endOf(burst({ ended_ms: null }))).toBe(5_000)
  })

  it('split into going on (newest first), not started (soonest first) and over (latest end first)', () => {
    const docs = [
      doc('old', { starts_ms: 100, expected_end_ms: 900 }),
      doc('ended', { starts_ms: 1_000, expected_end_ms: 9_000, ended_ms: 1_500 }),
      doc('a', { starts_ms: 1_000 }),
      doc('b', { starts_ms: 1_800 }),
      doc('later', { starts_ms: 3_000, expected_end_ms: 4_000 }),
      doc('soon', { starts_ms: 2_500, expected_end_ms: 4_000 }),
    ]
    const s = splitIncidents(docs, 2_000)
    expect(s.active.map((d) => d.key)).toEqual(['b', 'a'])
    expect(s.upcoming.map((d) => d.key)).toEqual(['soon', 'later'])
    expect(s.past.map((d) => d.key)).toEqual(['ended', 'old'])
    // Every incident in exactly one of them.
    expect(s.active.length + s.upcoming.length + s.past.length).toBe(docs.length)
  })

  it('read the area a line each, regions written as the server matches them', () => {
    expect(regionLines('浙江省 / 杭州市/西湖区/\n\n  浙江省／杭州市／上城区  \n/\n')).toEqual(['浙江省/杭州市/西湖区', '浙江省/杭州市/上城区'])
    expect(lines(' 文三路 \r\n\n西湖区 文三路\n')).toEqual(['文三路', '西湖区 文三路'])
    expect(areaName(['浙江省/杭州市/西湖区'], [])).toBe('西湖区')
    expect(areaName(['浙江省/杭州市/西湖区'], ['文三路'])).toBe('文三路')
    expect(areaName([], [])).toBe('')
  })

  it('take a key from their start, another when that one is taken', () => {
    const at = new Date(2026, 11, 3, 8, 5).getTime()
    expect(incidentKey(at, [])).toBe('inc-20261203-0805')
    expect(incidentKey(at, ['inc-20261203-0805'])).toBe('inc-20261203-0805-2')
    expect(incidentKey(at, ['inc-20261203-0805', 'inc-20261203-0805-2'])).toBe('inc-20261203-0805-3')
    expect(validKey(incidentKey(at, []))).toBe(true)
    expect(validKey('文三')).toBe(false)
    expect(validKey('x'.repeat(41))).toBe(false)
  })

  it('name the time callers are told: the time today, with the date another day', () => {
    const now = new Date(2026, 11, 3, 9, 0).getTime()
    expect(hhmm(new Date(2026, 11, 3, 18, 0).getTime())).toBe('18:00')
    expect(whenLabel(new Date(2026, 11, 3, 18, 0).getTime(), now)).toBe('18:00')
    expect(whenLabel(new Date(2026, 11, 4, 6, 30).getTime(), now)).toBe('12-04 06:30')
  })

  it('are changed at the version read, with only the fields the server takes', () => {
    const d: IncidentDoc = { key: 'wensan', version: 3, updated_at_ms: 9, data: burst() }
    expect(changeBody(d, { ended_ms: 2_000 })).toEqual({
      version: 3, title: '文三路爆管', message: '停水', regions: ['浙江省/杭州市/西湖区'], address_prefixes: [], starts_ms: 1_000, expected_end_ms: 5_000, ended_ms: 2_000,
    })
    expect(changeBody(d, { expected_end_ms: 8_600 })).toMatchObject({ expected_end_ms: 8_600, ended_ms: null })
  })
})
