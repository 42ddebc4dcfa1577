/**
 * Finds a name that appears twice in one JSON object. JSON.parse keeps the
 * last value of a repeated name, so `{"side":"buy","side":"sell"}` would be
 * a sell; an order API rejects such a body instead of guessing.
 */

/**
 * Returns the first repeated name in any object of `text`, or undefined.
 * Expects text that JSON.parse accepted; escapes are decoded before names
 * are compared, so "s\u0069de" repeats "side".
 */
export function findDuplicateKey(text: string): string | undefined {
  // One entry per open container: the names seen so far for an object, null for an array.
  const open: Array<Set<string> | null> = []
  let expectName = false

  for (let i = 0; i < text.length; i++) {
    const char = text[i]

    if (char === '"') {
      const end = endOfString(text, i)
      const names = open[open.length - 1]
      if (expectName && names) {
        const name = JSON.parse(text.slice(i, end + 1)) as string
        if (names.has(name)) return name
        names.add(name)
      }
      expectName = false
      i = end
    } else if (char === '{') {
      open.push(new Set())
      expectName = true
    } else if (char === '[') {
      open.push(null)
    } else if (char === '}' || char === ']') {
      open.pop()
    } else if (char === ',') {
      expectName = open[open.length - 1] instanceof Set
    }
  }
  return undefined
}

/** Index of the quote that closes the string opening at `start`. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '"') return i
  }
  return text.length - 1
}
