import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from './api'
import { attachAll, attachError, failureLines, MAX_BYTES, refusal, sizeText, uploadName } from './attachments'
import { i18n } from './i18n'

const t = i18n.global.t as (key: string, args?: Record<string, unknown>) => string
const te = i18n.global.te as (key: string) => boolean
const file = (name: string, type: string, size = 3) => {
  const f = new File([new Uint8Array(Math.min(size, 16))], name, { type })
  if (size > 16) Object.defineProperty(f, 'size', { value: size })
  return f
}

describe('attachments', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('are sent under a name whose extension says what they are', () => {
    expect(uploadName(file('表井.jpg', 'image/jpeg'))).toBe('表井.jpg')
    expect(uploadName(file('scan.PDF', 'application/pdf'))).toBe('scan.PDF')
    // A phone camera's file: no extension, or the HEIC name of a photo the phone made a JPEG.
    expect(uploadName(file('image', 'image/jpeg'))).toBe('image.jpg')
    expect(uploadName(file('IMG_0001.HEIC', 'image/jpeg'))).toBe('IMG_0001.jpg')
    // Nothing to go by: as it is (the server says why not).
    expect(uploadName(file('notes.txt', 'text/plain'))).toBe('notes.txt')
  })

  it('are refused before sending when too big or not of a kind the server takes', () => {
    expect(refusal(file('a.jpg', 'image/jpeg', MAX_BYTES))).toBeNull()
    expect(refusal(file('a.jpg', 'image/jpeg', MAX_BYTES + 1))).toBe('tooBig')
    expect(refusal(file('a.heic', 'image/heic'))).toBe('kind')
    expect(refusal(file('a.exe', ''))).toBe('kind')
    expect(refusal(file('a.jpg', 'image/jpeg', 0))).toBe('kind')
  })

  it('show their size in KB or MB', () => {
    expect(sizeText(100)).toBe('1 KB')
    expect(sizeText(850 * 1024)).toBe('850 KB')
    expect(sizeText(2.4 * 1024 * 1024)).toBe('2.4 MB')
    expect(sizeText(MAX_BYTES)).toBe('10 MB')
  })

  it('say the server\'s reasons in the user\'s words', () => {
    const bad = (reason: string) => new ApiError(400, { code: 'invalid_input', message: 'x', details: { field: 'file', reason } })
    expect(attachError(bad('the name\'s extension does not match what the file is'), t, te, 'zh-CN')).toBe('文件扩展名与文件内容不符')
    expect(attachError(bad('at most 30 files an order'), t, te, 'zh-CN')).toBe('每张工单最多 30 个附件')
    expect(attachError(bad('photos (JPEG, PNG, WebP), PDF, WAV recordings, Word (docx) or Excel (xlsx) files'), t, te, 'zh-CN')).toMatch(/^只能上传照片/)
    expect(attachError(new ApiError(413, { code: 'payload_too_large', message: 'at most 10 MB a file', details: { field: 'file' } }), t, te, 'zh-CN')).toBe('文件超过 10 MB，不能上传')
    expect(attachError(new ApiError(409, { code: 'invalid_state', message: 'the order is closed' }), t, te, 'zh-CN')).toBe('工单已办结或已并单，不能再添加附件')
    expect(attachError(new ApiError(403, { code: 'forbidden', message: 'no' }), t, te, 'zh-CN')).toBe('您的角色无权进行此操作')
  })

  it('are sent one after the other; a file refused does not stop the others, a closed order does', async () => {
    const answers = [
      new Response(JSON.stringify({ id: 5, attachments: [{ id: '2' }] }), { status: 201 }),
      new Response(JSON.stringify({ code: 'invalid_input', message: 'x', details: { field: 'file', reason: 'the name\'s extension does not match what the file is' } }), { status: 400 }),
      new Response(JSON.stringify({ id: 5, attachments: [{ id: '2' }, { id: '4' }] }), { status: 201 }),
    ]
    const f = vi.fn(async () => answers.shift()!)
    vi.stubGlobal('fetch', f)
    const steps: string[] = []
    const sent = await attachAll(
      { id: 5, attachments: [] },
      [file('a.jpg', 'image/jpeg'), file('big.jpg', 'image/jpeg', MAX_BYTES + 1), file('b.png', 'image/png'), file('c.pdf', 'application/pdf')],
      (done, total) => steps.push(`${done}/${total}`),
    )
    expect(f).toHaveBeenCalledTimes(3) // the big one never left
    expect((f.mock.calls as unknown as [string][]).map((c) => c[0])).toEqual([
      '/api/orders/5/attachments?name=a.jpg', '/api/orders/5/attachments?name=b.png', '/api/orders/5/attachments?name=c.pdf',
    ])
    expect(steps).toEqual(['0/4', '1/4', '2/4', '3/4', '4/4'])
    expect(sent.order?.attachments).toHaveLength(2)
    expect(sent.failed.map((x) => x.name)).toEqual(['big.jpg', 'b.png'])
    expect(failureLines(sent.failed, t, te, 'zh-CN')).toEqual(['big.jpg：文件超过 10 MB，不能上传', 'b.png：文件扩展名与文件内容不符'])

    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ code: 'invalid_state', message: 'the order is closed' }), { status: 409 })))
    const closed = await attachAll({ id: 5, attachments: [] }, [file('a.jpg', 'image/jpeg'), file('b.jpg', 'image/jpeg')])
    expect(closed.order).toBeNull()
    expect(failureLines(closed.failed, t, te, 'zh-CN')).toEqual(['a.jpg、b.jpg：工单已办结或已并单，不能再添加附件'])
  })

  it('stop at the most an order keeps', async () => {
    const f = vi.fn()
    vi.stubGlobal('fetch', f)
    const full = { id: 5, attachments: Array.from({ length: 30 }, (_, i) => ({ id: String(i), name: 'x.jpg', content_type: 'image/jpeg', size: 1, at_ms: 0 })) }
    const sent = await attachAll(full, [file('a.jpg', 'image/jpeg')])
    expect(f).not.toHaveBeenCalled()
    expect(attachError(sent.failed[0].error, t, te, 'zh-CN')).toBe('每张工单最多 30 个附件')
  })
})
