import { describe, expect, it } from 'vitest'
import { calendars, dayOf, handlingGroups, orderTypes, queues, textToCategories, toggleDay } from './forms'

const statutory = { holidays: new Set(['2026-10-01', '2026-10-02']), workdays: new Set(['2026-10-10']) }

describe('configuration forms', () => {
  it('show a queue in the units people use and save it back as loaded', () => {
    const doc = {
      name: '报修', skills: [{ skill: 'water', min: 3 }], relax: [{ after: 60, min_proficiency: 1, fallback: null }],
      strategy: 'round_robin', priority: 2, acceleration: { per_second: 1, cap: 50 }, service_level: 0.85, service_time: 30,
      wrap_up: 15, ring_timeout: 25, max_wait: 600, max_size: null, overflow: { to: 'queue', queue: 'consult' },
      nobody_logged_in: 'overflow', sticky: null, open: true, calendar: 'hours', channel: 'voice',
      announce: { every: 45, position: true, wait: false },
    }
    const m = queues.fromDoc(doc)
    expect(m.slPercent).toBe(85)
    expect(queues.toBody(m)).toEqual(doc)
  })

  it('give a calendar\'s days the server\'s order: special, make-up workday, closed day, week', () => {
    const m = calendars.blank()
    expect(dayOf(m, '2026-10-01', statutory)).toEqual({ kind: 'statutoryHoliday', hours: '' })
    expect(dayOf(m, '2026-10-10', statutory).kind).toBe('statutoryWorkday') // a Saturday
    expect(dayOf(m, '2026-10-11', statutory)).toEqual({ kind: 'weekend', hours: '' }) // a Sunday
    expect(dayOf(m, '2026-10-12', statutory)).toEqual({ kind: 'weekday', hours: '08:00-20:00' })
  })

  it('cycle a clicked day between closed, open and as the rules say', () => {
    const m = calendars.blank()
    toggleDay(m, '2026-10-12', statutory) // a Monday: closed
    expect(dayOf(m, '2026-10-12', statutory).kind).toBe('holiday')
    toggleDay(m, '2026-10-12', statutory) // open
    expect(dayOf(m, '2026-10-12', statutory).kind).toBe('workday')
    toggleDay(m, '2026-10-12', statutory) // as the rules say
    expect(dayOf(m, '2026-10-12', statutory).kind).toBe('weekday')
    toggleDay(m, '2026-10-10', statutory) // a make-up workday closed by a special day
    expect(dayOf(m, '2026-10-10', statutory)).toEqual({ kind: 'special', hours: '' })
    toggleDay(m, '2026-10-01', statutory) // a statutory holiday opened
    expect(dayOf(m, '2026-10-01', statutory).kind).toBe('workday')
    expect(calendars.toBody(m).special).toEqual([{ date: '2026-10-10', hours: [] }])
  })

  it('save an order type and a handling group back as the server stored them', () => {
    const type = {
      name_zh: '报修', name_en: 'Repair', callback_required: true,
      categories: [
        { code: 'leak', name_zh: '漏水', name_en: 'Leak', children: [{ code: 'main', name_zh: '主管爆裂', name_en: 'Burst main' }] },
        { code: 'pressure', name_zh: '水压低', name_en: 'Low pressure' },
      ],
      fields: [
        { key: 'meter_no', label_zh: '表号', label_en: 'Meter number', kind: 'text', required: false },
        { key: 'visit', label_zh: '上门时段', label_en: 'Visit', kind: 'choice', required: true, options: ['上午', '下午'] },
      ],
      policies: [
        { segment: null, calendar: null, accept: { unit: 'wall_minutes', value: 30 }, first_action: null, resolve: { unit: 'working_days', value: 3 }, warn_percent: 80, escalate_percent: 150 },
        { segment: 'large_account', calendar: 'hours', accept: null, first_action: null, resolve: { unit: 'working_minutes', value: 480 }, warn_percent: 70, escalate_percent: 0 },
      ],
    }
    expect(orderTypes.toBody(orderTypes.fromDoc(type))).toEqual(type)
    const group = {
      name: '西湖区维修班', kind: 'crew', members: [7, 8], lead: 3,
      handles: [{ order_type: 'repair', category: null, region: '浙江省/杭州市/西湖区', segment: null }],
    }
    expect(handlingGroups.toBody(handlingGroups.fromDoc(group))).toEqual(group)
  })

  it('read a category tree from indented lines people type', () => {
    expect(textToCategories('leak | 漏水 | Leak\n  main | 主管爆裂\nquality')).toEqual([
      { code: 'leak', name_zh: '漏水', name_en: 'Leak', children: [{ code: 'main', name_zh: '主管爆裂', name_en: '主管爆裂' }] },
      { code: 'quality', name_zh: 'quality', name_en: 'quality' },
    ])
  })
})
