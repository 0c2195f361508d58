import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, post, upload, whenUnauthenticated } from './api'

/** A fetch that answers `status` with `body` and keeps what it was asked. */
function answer(status: number, body: unknown) {
  const f = vi.fn(async (_path: string, _init: RequestInit) => new Response(body === undefined ? null : JSON.stringify(body), { status }))
  vi.stubGlobal('fetch', f)
  return f
}

describe('the API client', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    document.cookie = 'hotline_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT'
    whenUnauthenticated(() => {})
  })

  it('uploads a file as the raw body, with the CSRF token, and returns what the server says', async () => {
    document.cookie = 'hotline_csrf=tok%2B1'
    const f = answer(201, { id: 7, attachments: [] })
    const file = new File([new Uint8Array([0xff, 0xd8, 0xff])], '表井.jpg', { type: 'image/jpeg' })
    const got = await upload<{ id: number }>('/api/orders/7/attachments?name=' + encodeURIComponent(file.name), file)
    expect(got.id).toBe(7)
    const [path, init] = f.mock.calls[0]
    expect(path).toBe('/api/orders/7/attachments?name=%E8%A1%A8%E4%BA%95.jpg')
    expect(init.method).toBe('POST')
    expect(init.body).toBe(file)
    expect(init.credentials).toBe('same-origin')
    expect(init.headers).toEqual({ accept: 'application/json', 'content-type': 'application/octet-stream', 'x-csrf-token': 'tok+1' })
  })

  it('keeps the server\'s code and field when an upload is refused, and says when the session is gone', async () => {
    answer(413, { code: 'payload_too_large', message: 'at most 10 MB a file', details: { field: 'file' } })
    const e = (await upload('/api/orders/7/attachments?name=a.jpg', new Blob(['x'])).catch((x) => x)) as ApiError
    expect(e).toBeInstanceOf(ApiError)
    expect([e.status, e.code, e.field]).toEqual([413, 'payload_too_large', 'file'])

    const gone = vi.fn()
    whenUnauthenticated(gone)
    answer(401, { code: 'unauthenticated', message: 'log in first' })
    await upload('/api/orders/7/attachments?name=a.jpg', new Blob(['x'])).catch(() => {})
    expect(gone).toHaveBeenCalledOnce()
  })

  it('still sends JSON bodies as JSON', async () => {
    const f = answer(200, { ok: true })
    await post('/api/orders/7/handle', { action: 'accept' })
    const [, init] = f.mock.calls[0]
    expect(init.body).toBe('{"action":"accept"}')
    expect((init.headers as Record<string, string>)['content-type']).toBe('application/json')
  })
})
