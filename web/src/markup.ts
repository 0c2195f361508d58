// An article's body as the page shows it: text with a little markup (`# heading`, `- item`,
// `**bold**`, `![what it shows](/api/kb/images/{name})`), everything else escaped. Pictures
// are only the knowledge base's own; `image` maps their path (the public page's own path).

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

const IMAGE = /!\[([^\]\n]*)\]\((\/api\/kb\/images\/[0-9a-f]{16}\.(?:png|jpg|webp))\)/g

function inline(line: string, image: (path: string) => string): string {
  return escape(line)
    .replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>')
    .replace(IMAGE, (_, alt: string, path: string) => `<img src="${image(path)}" alt="${alt}" loading="lazy">`)
}

/** HTML for `body`, safe to put in the page. */
export function renderArticle(body: string, image: (path: string) => string = (p) => p): string {
  const out: string[] = []
  let list: string[] = []
  const flush = () => {
    if (list.length) out.push(`<ul>${list.map((l) => `<li>${l}</li>`).join('')}</ul>`)
    list = []
  }
  for (const raw of body.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('- ')) {
      list.push(inline(line.slice(2), image))
      continue
    }
    flush()
    if (!line) continue
    const heading = /^#{1,3}\s+(.*)$/.exec(line)
    out.push(heading ? `<h4>${inline(heading[1], image)}</h4>` : `<p>${inline(line, image)}</p>`)
  }
  flush()
  return out.join('')
}
