import { describe, expect, it } from 'vitest'
import { emptyForm, inputOf, lineDiff, nextStatuses, synonymsOf, synonymsText, versionText } from './kb'

describe('the knowledge base', () => {
  it('sends lists one item a line, tags split on commas too', () => {
    const f = { ...emptyForm(), title: '水表计量异常的处理', category: '水表/计量', tags: '水表，计量\n 表计 ', questions: '水表走得快\n\n表转个不停' }
    expect(inputOf(f, 'draft', null)).toEqual({
      title: '水表计量异常的处理', category: '水表/计量', body: '', tags: ['水表', '计量', '表计'], questions: ['水表走得快', '表转个不停'], products: [], segments: [],
      public: false, valid_from: null, valid_to: null, status: 'draft',
    })
    expect(inputOf(f, 'published', 3)).toMatchObject({ status: 'published', version: 3 })
  })

  it('offers the moves the server allows', () => {
    expect(nextStatuses(null, false)).toEqual(['draft', 'review'])
    expect(nextStatuses(null, true)).toEqual(['draft', 'review', 'published'])
    expect(nextStatuses('review', false)).toEqual(['draft', 'review'])
    expect(nextStatuses('published', false)).toEqual([])
    expect(nextStatuses('published', true)).toEqual(['draft', 'published', 'archived'])
    expect(nextStatuses('archived', true)).toEqual(['draft'])
  })

  it('reads synonym groups a line at a time, words apart by spaces or commas', () => {
    expect(synonymsOf('水表 表计，计量表\n\n  停水、断水 ')).toEqual([['水表', '表计', '计量表'], ['停水', '断水']])
    expect(synonymsText([['水表', '表计'], ['停水', '断水']])).toBe('水表 表计\n停水 断水')
  })

  it('shows two versions line by line', () => {
    expect(lineDiff('a\nb\nc', 'a\nc\nd')).toEqual([
      { op: ' ', text: 'a' }, { op: '-', text: 'b' }, { op: ' ', text: 'c' }, { op: '+', text: 'd' },
    ])
    expect(lineDiff('', 'x')).toEqual([{ op: '-', text: '' }, { op: '+', text: 'x' }])
    expect(versionText({ title: 'T', category: 'C', body: 'B', tags: ['x'], questions: ['q?'] })).toBe('# T\n[C]\n#x\n\nB\n\n? q?')
  })
})
