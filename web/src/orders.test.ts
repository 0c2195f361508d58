import { describe, expect, it } from 'vitest'
import { normalRegion, similarQuery } from './orders'

const parse = (q: string | null) => (q == null ? null : Object.fromEntries(new URLSearchParams(q)))

describe('similarQuery', () => {
  it('asks nothing before there is a customer or a region', () => {
    expect(similarQuery({})).toBeNull()
    expect(similarQuery({ orderType: 'repair', category: 'leak', address: '文三路 90 号' })).toBeNull()
    expect(similarQuery({ region: ' / ', orderType: 'repair' })).toBeNull()
    expect(similarQuery({ customerId: 0 })).toBeNull()
  })

  it('asks about the customer alone once known', () => {
    expect(parse(similarQuery({ customerId: 42 }))).toEqual({ customer_id: '42' })
    expect(parse(similarQuery({ customerId: 42, address: '文三路 90 号', orderType: 'repair' }))).toEqual({ customer_id: '42' })
  })

  it('sends the region as the server compares it, with the address, type and category', () => {
    expect(parse(similarQuery({ customerId: null, region: ' 浙江省 / 杭州市/西湖区 ', address: ' 文三路 90 号 ', orderType: 'repair', category: 'leak/meter' }))).toEqual({
      region: '浙江省/杭州市/西湖区', address: '文三路 90 号', order_type: 'repair', category: 'leak/meter',
    })
    expect(parse(similarQuery({ region: '浙江省', orderType: '', category: 'leak' }))).toEqual({ region: '浙江省' })
    expect(parse(similarQuery({ customerId: 7, region: '浙江省', exclude: 12 }))).toEqual({ customer_id: '7', region: '浙江省', exclude: '12' })
  })

  it('leaves out what the server would refuse', () => {
    const long = '区'.repeat(101)
    expect(similarQuery({ region: long, address: '文三路' })).toBeNull()
    expect(parse(similarQuery({ customerId: 3, region: long }))).toEqual({ customer_id: '3' })
    expect(parse(similarQuery({ region: '浙江省', address: 'x'.repeat(201), orderType: 'repair' }))).toEqual({ region: '浙江省', order_type: 'repair' })
    expect(parse(similarQuery({ region: '浙江省', address: 'a\0b' }))).toEqual({ region: '浙江省' })
    expect(parse(similarQuery({ region: '区'.repeat(100) }))).toEqual({ region: '区'.repeat(100) })
    expect(similarQuery({ customerId: 1.5 })).toBeNull()
  })

  it('encodes what it sends', () => {
    expect(similarQuery({ region: '浙江省', address: 'A&B 1#' })).toBe('region=%E6%B5%99%E6%B1%9F%E7%9C%81&address=A%26B+1%23')
  })

  it('trims a region’s parts', () => {
    expect(normalRegion(' 浙江省 //杭州市 ')).toBe('浙江省/杭州市')
    expect(normalRegion(null)).toBe('')
  })
})
