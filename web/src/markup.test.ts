import { describe, expect, it } from 'vitest'
import { renderArticle } from './markup'

describe("an article's body", () => {
  it('shows headings, lists, bold and its own pictures, and escapes everything else', () => {
    const pic = '/api/kb/images/0123456789abcdef.png'
    expect(renderArticle(`# 关总阀\n- 先关**总阀**\n- 再报修\n![总阀](${pic})`)).toBe(
      `<h4>关总阀</h4><ul><li>先关<b>总阀</b></li><li>再报修</li></ul><p><img src="${pic}" alt="总阀" loading="lazy"></p>`,
    )
    expect(renderArticle('<script>alert(1)</script>')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>')
    // Only the knowledge base's own pictures: anything else stays text.
    expect(renderArticle('![x](https://evil.example/a.png)')).toBe('<p>![x](https://evil.example/a.png)</p>')
    expect(renderArticle('![x" onerror="alert(1)](/api/kb/images/0123456789abcdef.png)')).toContain('alt="x&quot; onerror=&quot;alert(1)"')
    expect(renderArticle(`![总阀](${pic})`, (p) => p.replace('/api/', '/api/public/demo/'))).toContain('src="/api/public/demo/kb/images/')
  })
})
