import { describe, expect, it } from 'vitest'
import { actions, leadEventLine, left, noteText, parseYuan, yuan } from './leads'

describe('leads', () => {
  it('reads amounts as people type them, in fen', () => {
    expect(parseYuan('78000')).toBe(7_800_000)
    expect(parseYuan('78,000.5')).toBe(7_800_050)
    expect(parseYuan('7.8万')).toBe(7_800_000)
    expect(parseYuan('￥1200元')).toBe(120_000)
    for (const bad of ['', '0', '-5', 'abc', '1.2.3', '12e5']) expect(parseYuan(bad)).toBeNull()
    expect(yuan(7_800_050)).toBe('78,000.50')
    expect(yuan(null)).toBe('—')
  })

  it('says the time left to a deadline, or how late', () => {
    const now = 1_000_000_000
    expect(left(now + 3 * 3_600_000 + 5, now)).toEqual({ key: 'leads.leftHours', n: 3, late: false })
    expect(left(now + 50 * 3_600_000, now)).toEqual({ key: 'leads.leftDays', n: 2, late: false })
    expect(left(now - 90_000, now)).toEqual({ key: 'leads.lateMinutes', n: 2, late: true })
    expect(left(null, now)).toBeNull()
  })

  it('offers each side only its own actions', () => {
    expect(actions('offered', 'dealer')).toEqual(['accept', 'return'])
    expect(actions('open', 'center')).toEqual(['take'])
    expect(actions('open', 'manager')).toEqual(['assign', 'take'])
    expect(actions('working', 'center')).toEqual([])
    expect(actions('working', 'manager')).toEqual(['reclaim'])
    expect(actions('won', 'dealer')).toEqual([])
  })

  it('translates the sweep\'s own reasons and keeps people\'s words', () => {
    const t = (k: string) => `[${k}]`
    expect(noteText('not accepted in time', t)).toBe('[leads.why.accept]')
    expect(noteText('客户在萧山', t)).toBe('客户在萧山')
    expect(leadEventLine({ lead_id: 17, action: 'reclaim', product_line: '挖掘机', note: 'not followed up in time' }, t))
      .toBe('[leads.event] #17 [leads.action.reclaim] · 挖掘机 · [leads.why.follow]')
  })
})
