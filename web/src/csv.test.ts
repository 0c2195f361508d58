import { afterEach, describe, expect, it, vi } from 'vitest'
import { csvCell, downloadCsv, toCsv } from './csv'

describe('csv', () => {
  it('quotes only what must be', () => {
    expect(csvCell('西湖抢修队')).toBe('西湖抢修队')
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('two\nlines')).toBe('"two\nlines"')
    expect(csvCell(12)).toBe('12')
    expect(csvCell(-3)).toBe('-3')
    expect(csvCell(NaN)).toBe('')
    expect(csvCell(null)).toBe('')
    expect(csvCell(undefined)).toBe('')
  })

  it('keeps a formula as text', () => {
    expect(csvCell('=1+1')).toBe("'=1+1")
    expect(csvCell('-cmd')).toBe("'-cmd")
    expect(csvCell('@x,y')).toBe('"\'@x,y"')
  })

  it('starts with a BOM and ends lines with CRLF', () => {
    const text = toCsv([['名称', '及时率'], ['西湖区', '85.3%']])
    expect(text).toBe('\ufeff名称,及时率\r\n西湖区,85.3%\r\n')
    expect([...new TextEncoder().encode(text).slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
  })
})

describe('downloadCsv', () => {
  afterEach(() => vi.restoreAllMocks())

  it('downloads a UTF-8 file under the name given', async () => {
    let blob: Blob | undefined
    const created = vi.fn((b: Blob) => ((blob = b), 'blob:x'))
    Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() })
    let clicked = ''
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked = this.download
    })
    downloadCsv('及时率.csv', [['a', 1]])
    expect(clicked).toBe('及时率.csv')
    expect(blob?.type).toBe('text/csv;charset=utf-8')
    const bytes = new Uint8Array(await blob!.arrayBuffer())
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(document.querySelector('a[download]')).toBeNull()
  })
})
