import { describe, expect, it } from 'vitest'
import { clock, level, percent, phone, stars, stateKey } from './format'

describe('format', () => {
  it('shows time in state as m:ss, then h:mm:ss', () => {
    expect(clock(0)).toBe('0:00')
    expect(clock(65_400)).toBe('1:05')
    expect(clock(3_723_000)).toBe('1:02:03')
    expect(clock(-5)).toBe('0:00')
  })

  it('turns amber, then red, at the thresholds', () => {
    const t = { amber_seconds: 60, red_seconds: 120 }
    expect(level(59, t)).toBe('ok')
    expect(level(60, t)).toBe('amber')
    expect(level(120, t)).toBe('red')
    expect(level(10_000, undefined)).toBe('ok')
  })

  it('names a not-ready agent by their reason', () => {
    expect(stateKey('not_ready', 'break')).toBe('break')
    expect(stateKey('talking', null)).toBe('talking')
    expect(percent(0.8234)).toBe('82.3%')
    expect(percent(null)).toBe('—')
  })
})

describe('stars', () => {
  it('shows a survey score out of five', () => {
    expect(stars(4)).toBe('★★★★☆')
    expect(stars(1)).toBe('★☆☆☆☆')
    expect(stars(5)).toBe('★★★★★')
    expect(stars(9)).toBe('★★★★★')
    expect(stars(null)).toBe('')
    expect(stars(undefined)).toBe('')
  })
})

describe('phone', () => {
  it('groups numbers as people write them', () => {
    expect(phone('13857100000')).toBe('138 5710 0000')
    expect(phone('+8613857100000')).toBe('138 5710 0000')
    expect(phone('057187654321')).toBe('0571 8765 4321')
    expect(phone('01087654321')).toBe('010 8765 4321')
    expect(phone('+8657187654321')).toBe('0571 8765 4321')
    expect(phone('+441234567890')).toBe('+441234567890')
    expect(phone('96332')).toBe('96332')
    expect(phone('')).toBe('')
  })
})
